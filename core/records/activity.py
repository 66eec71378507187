"""A customer's activity from its deals: a deal moved, changed or noted by a person keeps its
customer out of the pool's reclaim (docs/records.md).

:class:`DealActivity` observes the committed deal events (the ``goldsieve_deal_event`` hook,
registered by the runtime) and moves the deal's customer's ``last_activity_at`` up to the
event's time, in a transaction of its own after the deal's: the deal's write stands whatever
happens here, as with every observer. Automation's own events (a deal marked stale, a task
overdue) are no one's activity and leave the customer alone.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .. import hookimpl
from ..people.permissions import SYSTEM
from ..store import Conflict

if TYPE_CHECKING:
    from ..funnels.model import Funnel
    from .customers import Customers

log = logging.getLogger(__name__)

#: How often a customer changed meanwhile is read again before the activity is given up.
ATTEMPTS = 3


class DealActivity:
    """The observer; one per runtime, over that runtime's customers."""

    #: its name in the plugin manager
    NAME = "goldsieve.customer_activity"

    def __init__(self, customers: "Customers"):
        self.customers = customers

    @hookimpl
    def goldsieve_deal_event(self, event: dict[str, Any], deal: dict[str, Any], funnel: "Funnel") -> None:
        customer_id = deal.get("customer_id")
        if customer_id is None or event.get("by") == SYSTEM["username"]:
            return
        store = self.customers.store
        for _ in range(ATTEMPTS):
            customer = store.get("customers", customer_id)
            if (customer is None or customer.get("merged_into") is not None
                    or customer["last_activity_at"] >= event["at"]):
                return
            try:
                with store.transaction() as txn:
                    self.customers.touch(txn, customer, event["at"])
                return
            except Conflict:
                continue
        log.warning("customer %s kept changing; the activity of deal %s at %s was not counted",
                    customer_id, deal.get("id"), event["at"])
