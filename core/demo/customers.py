"""The demo's customers: made from the demo deals' companies, with contacts in declared roles,
some in the pool, and one duplicate pair left for the visitor to merge (docs/records.md).

Customers are made the way ``goldsieve customers from-deals`` groups deals
(:func:`~goldsieve.records.from_deals.plan`), through :meth:`Customers.create` and
:meth:`Contacts.create`, for the first ``CUSTOMERS`` companies only: the rest of the deals are
left for the visitor to link with that command. A deal is linked as history is written (its
version stays that of its events), as the rest of the demo's past is.
"""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from ..people.permissions import SYSTEM
from ..records.from_deals import plan
from ..runtime import Runtime

#: How many companies of the demo deals become customers.
CUSTOMERS = 40
#: Every how many customers one goes back to the pool.
POOL_EVERY = 6
#: records/customer.json, records/contact.json and records/activity.json of the demo workspace.
RECORDS = {
    "customer": {
        "title": {"en": "Customer", "zh-Hans": "客户", "zh-Hant": "客戶"},
        "fields": {"type": "object", "properties": {
            "industry": {"type": "string", "title": {"en": "Industry", "zh-Hans": "行业", "zh-Hant": "行業"}},
            "credit_code": {"type": "string", "title": {"en": "Credit code", "zh-Hans": "统一社会信用代码",
                                                        "zh-Hant": "統一社會信用代碼"}}}},
        "ui": {"order": ["industry", "credit_code"]},
        "match": ["name", "credit_code"],
    },
    "contact": {
        "title": {"en": "Contact", "zh-Hans": "联系人", "zh-Hant": "聯絡人"},
        "fields": {"type": "object", "properties": {
            "phone": {"type": "string", "title": {"en": "Phone", "zh-Hans": "电话", "zh-Hant": "電話"}},
            "email": {"type": "string", "format": "email",
                      "title": {"en": "Email", "zh-Hans": "邮箱", "zh-Hant": "郵箱"}}}},
        "roles": [
            {"id": "decision_maker", "title": {"en": "Decision maker", "zh-Hans": "决策人", "zh-Hant": "決策人"}},
            {"id": "purchaser", "title": {"en": "Purchaser", "zh-Hans": "采购", "zh-Hant": "採購"}},
            {"id": "user", "title": {"en": "User", "zh-Hans": "使用人", "zh-Hant": "使用人"}},
        ],
    },
    "activity": {"types": [
        {"id": "visit", "title": {"en": "Visit", "zh-Hans": "拜访", "zh-Hant": "拜訪"}, "location": True,
         "fields": {"type": "object", "properties": {
             "purpose": {"type": "string", "title": {"en": "Purpose", "zh-Hans": "目的", "zh-Hant": "目的"},
                         "oneOf": [
                             {"const": "intro", "title": {"en": "First visit", "zh-Hans": "初次拜访",
                                                          "zh-Hant": "初次拜訪"}},
                             {"const": "needs", "title": {"en": "Needs", "zh-Hans": "需求沟通",
                                                          "zh-Hant": "需求溝通"}},
                             {"const": "demo", "title": {"en": "Demo", "zh-Hans": "产品演示",
                                                         "zh-Hant": "產品演示"}},
                             {"const": "negotiation", "title": {"en": "Negotiation", "zh-Hans": "商务谈判",
                                                                "zh-Hant": "商務談判"}}]},
             "department": {"type": "string", "title": {"en": "Department", "zh-Hans": "科室", "zh-Hant": "科室"}}}},
         "ui": {"order": ["purpose", "department"]}},
        {"id": "call", "title": {"en": "Call", "zh-Hans": "电话", "zh-Hant": "電話"}},
        {"id": "meeting", "title": {"en": "Meeting", "zh-Hans": "会议", "zh-Hant": "會議"}},
        {"id": "demo", "title": {"en": "Demo", "zh-Hans": "演示", "zh-Hant": "演示"},
         "fields": {"type": "object", "properties": {
             "attendees": {"type": "integer", "minimum": 1,
                           "title": {"en": "Attendees", "zh-Hans": "参加人数", "zh-Hant": "參加人數"}}}}},
        {"id": "wechat", "title": {"en": "WeChat", "zh-Hans": "微信沟通", "zh-Hant": "微信溝通"}},
    ]},
}


def write_records(folder: Path) -> None:
    """Declare the demo's customer and contact fields and activity types in the workspace's records/ folder."""
    records = folder / "records"
    records.mkdir(exist_ok=True)
    for kind, definition in RECORDS.items():
        (records / f"{kind}.json").write_text(json.dumps(definition, ensure_ascii=False, indent=2) + "\n",
                                              encoding="utf-8")


def write_customers(runtime: Runtime, seed: int) -> dict[str, Any]:
    """Make the demo customers and contacts; returns what demo.json tells about them."""
    customers, contacts, rng = runtime.customers, runtime.contacts, random.Random(seed)
    roles = [r["id"] for r in RECORDS["contact"]["roles"]]
    made = []
    for index, group in enumerate(plan(customers, "company")[:CUSTOMERS]):
        data = {k: v for k, v in (("industry", group.deals[0]["data"].get("industry")),
                                  ("credit_code", f"91310000MA{seed:02d}{index:06d}")) if isinstance(v, str)}

        def link(txn, customer, deals=group.deals) -> None:
            for deal in deals:
                txn.replace("deals", {**deal, "customer_id": customer["id"]})

        customer = customers.create(SYSTEM, group.name, data, owner=group.owner, also=link)
        people = {d["data"]["contact"]: d["data"] for d in group.deals if isinstance(d["data"].get("contact"), str)}
        for number, (name, deal_data) in enumerate(sorted(people.items())[:3]):
            details = {k: deal_data[k] for k in ("phone", "email") if isinstance(deal_data.get(k), str)}
            contacts.create(SYSTEM, customer["id"], name, rng.choice(roles), details, primary=number == 0)
        if customer["owner"] is not None and index % POOL_EVERY == POOL_EVERY - 1:
            customers.change_owner(SYSTEM, customers.get(SYSTEM, customer["id"]), None, "released")
        made.append(customer)
    if not made:
        return {"customers": 0}
    survivor = made[0]
    duplicate = customers.create(SYSTEM, survivor["name"].replace(" Co., Ltd.", "") + " Group",
                                 owner=survivor["owner"])
    contacts.create(SYSTEM, duplicate["id"], "Zhao Min", "purchaser", primary=True)
    return {"customers": len(made) + 1, "merge": {"duplicate": duplicate["id"], "into": survivor["id"]}}
