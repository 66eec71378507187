"""Customer pages: the list (search, mine / team / pool, paging), a new customer, the customer
page (its data, claiming and releasing, contacts, deals, one timeline) and the deal form's
customer picker.

Every read and write goes through the kernel's customers service (:mod:`goldsieve.records`):
what a user sees is its visibility filter in the store's query, a customer they may not see
answers 404, and the service checks again what these views check for the form's sake. A
customer's and a contact's declared fields are rendered and read by the deal forms' renderer
(:mod:`.forms`), which takes a record type as it takes a funnel.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from goldsieve.deals.engine import merge_data
from goldsieve.errors import Duplicate, Forbidden, NotFound, ValidationFailed, Violation
from goldsieve.funnels.validation import violations
from goldsieve.limits import is_number
from goldsieve.records.customers import MAX_NAME, Customers, name_problems
from goldsieve.records.model import RecordType
from goldsieve.records.pool import claim, release
from goldsieve.store import Conflict
from goldsieve.store.filters import Eq, In, all_of
from goldsieve.web.app import current_runtime

from . import form_controls, forms
from .deals import (
    bypassed_items,
    event_stage,
    field_label,
    field_schema,
    reason_label,
    respond,
    show_value,
    stage_label,
    visible_customer,
    wants_fragment,
)
from .errors import not_found
from .i18n import money, text
from .params import whole_number_param

bp = Blueprint("customers", __name__, url_prefix="/customers")

PAGE = 50  # customers per page, and per "More"
PICKS = 10  # customers the deal form's picker offers at once
MAX_QUERY = 200  # characters of the name search
FILTERS = ("mine", "team", "pool")


@bp.errorhandler(NotFound)
def _not_found(error: NotFound):
    return not_found(_("There is no such customer, or you may not see it."))


def service() -> Customers:
    return current_runtime().customers


# --- the list ---------------------------------------------------------------------------------


def list_query() -> tuple[str, str]:
    """The search text and the filter of the list's query string; an unknown filter is a 400."""
    q = request.args.get("q", "").strip()[:MAX_QUERY]
    chosen = request.args.get("filter", "")
    if chosen and chosen not in FILTERS:
        abort(400, description=_("“filter” is one of: mine, team, pool."))
    return q, chosen


def find_customers(q: str, chosen: str, after: int | None) -> list[dict]:
    """A page of the customers the user sees, the filter pushed into the store's query."""
    user = g.user
    if chosen == "team" and not user.get("team"):
        return []
    return service().list(user, text=q or None, after=after, limit=PAGE,
                          owner=user["username"] if chosen == "mine" else None,
                          team=user.get("team") if chosen == "team" else None,
                          pool=chosen == "pool")


def owner_names(rows: list[dict]) -> dict[str, str]:
    """Each owner's display name, looked up once per owner on the page."""
    return {owner: service().display_name(owner) or owner
            for owner in {row["owner"] for row in rows if row["owner"]}}


@bp.get("")
def index():
    q, chosen = list_query()
    cursor = whole_number_param("cursor")
    rows = find_customers(q, chosen, cursor)
    more = (url_for("customers.index", q=q or None, filter=chosen or None, cursor=rows[-1]["id"])
            if len(rows) == PAGE else None)
    context = {"rows": rows, "owners": owner_names(rows), "more": more, "q": q, "chosen": chosen,
               "has_team": bool(g.user.get("team")), "max_query": MAX_QUERY,
               "may_create": service().may(g.user, "edit_customer")}
    if wants_fragment():
        target = request.htmx.target
        template = "customers/_rows.html" if target == "customer-more" else "customers/_results.html"
        return respond(render_template(template, **context))
    return respond(render_template("customers/list.html", **context))


@bp.get("/pick")
def pick():
    """The deal form's picker: the visible customers whose name holds ``customer_q``, as choices
    of ``customer_id`` (htmx swaps them in as the person types)."""
    q = request.args.get("customer_q", "").strip()[:MAX_QUERY]
    rows = service().list(g.user, text=q, limit=PICKS) if q else []
    return respond(render_template("customers/_choices.html", choices=rows, q=q,
                                   may_create=service().may(g.user, "edit_customer")
                                   and request.args.get("for") != "merge",
                                   picked=visible_customer(whole_number_param("customer_id"))))


@bp.post("/pick")
def create_picked():
    """The deal form's "create it": a new customer of the name typed in the picker (no declared
    field is asked for here), answered as the picker's choices with it chosen; a refused name or
    a duplicate is said inside the picker, and nothing is written."""
    service().require_create(g.user)
    q = request.form.get("customer_q", "").strip()
    context: dict[str, Any] = {"choices": [], "q": q, "picked": None, "errors": [], "duplicate": None,
                               "may_create": True}
    status = 200
    try:
        context["picked"] = service().create(g.user, q)
    except ValidationFailed as failed:
        context["errors"] = [name_message(v) for v in failed.violations if v.path == "/name"]
        # the declared fields the customer must have are asked for on the new-customer page
        context["needs_page"], status = any(v.path != "/name" for v in failed.violations), 422
    except Duplicate as error:
        context["duplicate"], status = duplicate_notice(error), 409
        context["picked"] = context["duplicate"]["customer"]
    return respond(render_template("customers/_choices.html", **context), status)


# --- reading a posted record ------------------------------------------------------------------


@dataclass
class Posted:
    """A record form as posted: its name, its typed data, and every problem by where it shows."""

    name: str
    data: dict[str, Any]
    field_errors: dict[str, list[str]] = field(default_factory=dict)
    name_errors: list[str] = field(default_factory=list)
    form_errors: list[str] = field(default_factory=list)

    def add(self, kind: RecordType, found: list[Violation]) -> None:
        by_field, others = forms.split_violations(kind, found)
        for name, messages in by_field.items():
            shown = self.field_errors.setdefault(name, [])
            shown += [m for m in messages if m not in shown]
        self.name_errors += [name_message(v) for v in others if v.path == "/name"]
        self.form_errors += [forms.text_message(v) for v in others if v.path not in ("/name", "/role")]

    @property
    def ok(self) -> bool:
        return not (self.field_errors or self.name_errors or self.form_errors)


def name_message(violation: Violation) -> str:
    """A refused name in the page's language (the service speaks English)."""
    if violation.code == "required":
        return _("A name is required.")
    if violation.code == "maxLength":
        return _("A name has at most %(limit)s characters.", limit=MAX_NAME)
    return _("A name cannot hold NUL characters or broken Unicode.")


def read_record(kind: RecordType, current: dict | None = None) -> Posted:
    """The name and declared fields a form posted (a new record's data, or the changes to
    ``current``), checked as the service will check them when some input could not even be read,
    so that every problem shows at once."""
    parsed = forms.parse(kind, request.form, current=current)
    if current is None:
        data = {k: v for k, v in parsed.changes.items() if v is not None}
    else:
        data = parsed.changes
    posted = Posted(request.form.get("name", ""), data, field_errors=dict(parsed.errors))
    if parsed.errors:
        found = name_problems(posted.name) + violations(kind.validator, merge_data(current or {}, data))
        posted.add(kind, [p for p in found if forms.field_of(p.path) not in parsed.errors])
    return posted


def record_fields(kind: RecordType, values: dict, posted: Posted | None, prefix: str) -> Any:
    return form_controls.render(kind, forms.field_names(kind), values=values,
                        errors=posted.field_errors if posted else {},
                        required=forms.schema_required(kind),
                        posted=request.form if posted else None, prefix=prefix)


def duplicate_notice(error: Duplicate) -> dict[str, Any]:
    """What a person learns of the customer a new one duplicates: the 409's message, a link only
    when they may see it, else only its owner's display name (or that it is in the pool)."""
    if error.key == "name":
        message = _("Customer %(id)s already has this name.", id=error.existing_id)
    else:
        label = text(service().types.customer.fields.get("properties", {}).get(error.key, {}).get("title"))
        message = _("Customer %(id)s already has this %(field)s.", id=error.existing_id,
                    field=label or error.key)
    try:
        existing = service().get(g.user, error.existing_id)
    except NotFound:
        existing = None
    return {"message": message, "customer": existing, "owner": error.owner}


# --- a new customer ---------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
def new():
    service().require_create(g.user)
    kind = service().types.customer
    posted, duplicate, status = None, None, 200
    if request.method == "POST":
        posted = read_record(kind)
        try:
            if not posted.ok:
                raise ValidationFailed([])
            customer = service().create(g.user, posted.name, posted.data)
        except ValidationFailed as failed:
            posted.add(kind, failed.violations)
            status = 422
        except Duplicate as error:
            duplicate, status = duplicate_notice(error), 409
        else:
            return redirect(url_for("customers.page", customer_id=customer["id"]), 303)
    body = render_template("customers/new.html", posted=posted, duplicate=duplicate, max_name=MAX_NAME,
                           fields=record_fields(kind, {}, posted, "customer"))
    return respond(body, status)


# --- the customer page ------------------------------------------------------------------------


@dataclass
class DealGroup:
    """Open or closed deals of a customer, with their count and amount totals per currency."""

    label: str
    deals: list[dict] = field(default_factory=list)
    sums: dict[str, float] = field(default_factory=dict)

    def add(self, deal: dict, currency: str) -> None:
        self.deals.append(deal)
        amount = deal["data"].get("amount")
        if is_number(amount):
            self.sums[currency] = self.sums.get(currency, 0) + amount

    @property
    def totals(self) -> list[str]:
        return [money(total, currency) for currency, total in sorted(self.sums.items())]


def customer_deals(customer_id: int) -> list[dict]:
    """The customer's deals the user may see, newest first: the deals' scope in the query."""
    engine = current_runtime().engine
    return engine.store.find("deals", all_of(engine.scope(g.user), Eq("customer_id", customer_id)),
                             descending=True)


def deal_groups(deals: list[dict]) -> list[DealGroup]:
    engine = current_runtime().engine
    groups = {"open": DealGroup(_("Open deals")), "closed": DealGroup(_("Closed deals"))}
    for deal in deals:
        groups["open" if deal["status"] == "open" else "closed"].add(deal, engine.funnel_of(deal).currency)
    return list(groups.values())


def timeline(customer: dict, deals: list[dict]) -> list[dict]:
    """The customer's events and its visible deals' events, newest first, as ``{event, deal}``
    (``deal`` ``None`` for the customer's own)."""
    by_id = {deal["id"]: deal for deal in deals}
    items = [{"event": e, "deal": None} for e in service().history(g.user, customer["id"])]
    if by_id:
        store = current_runtime().store
        items += [{"event": e, "deal": by_id[e["deal_id"]]}
                  for e in store.find("events", In("deal_id", tuple(by_id)))]
    return sorted(items, key=lambda i: (i["event"]["at"], i["deal"] is not None, i["event"]["id"]),
                  reverse=True)


def role_label(role: str | None) -> str:
    for declared in service().types.contact.roles:
        if declared["id"] == role:
            return text(declared.get("title")) or role
    return role or ""


def record_field_label(kind: RecordType, name: str) -> str:
    """A record's field (or its name or owner) as the timeline and the page call it."""
    if name == "name":
        return _("Name")
    if name == "owner":
        return _("Owner")
    schema = forms.properties(kind).get(name, {})
    return text(schema.get("title")) or name


def pool_message(violation: Violation) -> str:
    """A refused claim or release in the page's language."""
    if violation.code == "max_owned":
        return _("You already own %(limit)s customers, the most your role may own; release one "
                 "before claiming another.", limit=violation.limit)
    if violation.code == "cooldown":
        return _("You gave this customer up less than %(days)s days ago; you may claim it again "
                 "after that.", days=format(violation.limit, "g"))
    if violation.code == "not_in_pool":
        return _("This customer is not in the pool.")
    if violation.code == "in_pool":
        return _("This customer is already in the pool.")
    return forms.text_message(violation)


def render_page(customer: dict, status: int = 200, *, posted: Posted | None = None,
                contact: Posted | None = None, **extra: Any) -> Response:
    runtime, user = current_runtime(), g.user
    customers = runtime.customers
    deals = customer_deals(customer["id"])
    owner = customer["owner"]
    contact_kind = customers.types.contact
    context: dict[str, Any] = {
        "customer": customer, "owner_name": customers.display_name(owner),
        "editable": customers.editable(user, customer),
        "may_claim": owner is None and user.get("role") in customers.pool.claim
                     and customers.may(user, "edit_customer"),
        "may_release": owner is not None and (
            (owner == user["username"] and customers.may(user, "edit_customer"))
            or (customers.may(user, "reassign") and customers.editable(user, customer))),
        "name_value": posted.name if posted else customer["name"],
        "posted": posted, "max_name": MAX_NAME,
        "form_version": request.form.get("version", "") if extra.get("conflict") else customer["version"],
        "fields": record_fields(customers.types.customer, customer["data"], posted, "customer"),
        "contacts": runtime.contacts.list(user, customer["id"]), "role_label": role_label,
        "roles": contact_kind.roles, "contact": contact,
        "contact_fields": record_fields(contact_kind, {}, contact, "contact"),
        "groups": deal_groups(deals), "items": timeline(customer, deals),
        "funnel_of": runtime.engine.funnel_of, "customer_field_label": lambda name: record_field_label(customers.types.customer, name),
        "contact_field_label": lambda name: record_field_label(contact_kind, name),
        "display_name": customers.display_name, "event_stage": event_stage, "field_label": field_label,
        "reason_label": reason_label, "show_value": show_value, "field_schema": field_schema,
        "bypassed_items": bypassed_items, "customer_kind": customers.types.customer, "contact_kind": contact_kind,
        "stage_label": stage_label,
        "action_errors": [], "duplicate": None, "conflict": False,
    }
    context.update(extra)
    return respond(render_template("customers/page.html", **context), status)


@bp.get("/<int:customer_id>")
def page(customer_id: int):
    customer = service().get(g.user, customer_id)
    if customer.get("merged_into"):  # kept as a redirect: the survivor holds its deals and history
        flash(_("“%(name)s” was merged into this customer.", name=customer["name"]))
        return redirect(url_for("customers.page", customer_id=customer["merged_into"]), 303)
    return render_page(customer)


@bp.post("/<int:customer_id>")
def save(customer_id: int):
    customer = service().get(g.user, customer_id)
    service().require_edit(g.user, customer)
    kind = service().types.customer
    version = whole_number_param("version", request.form)
    posted = read_record(kind, current=customer["data"])
    try:
        service().expect_version(customer, version)
        if not posted.ok:
            raise ValidationFailed([])
        service().update(g.user, customer_id, posted.data, version=version, name=posted.name)
    except ValidationFailed as failed:
        posted.add(kind, failed.violations)
        return render_page(customer, 422, posted=posted)
    except Duplicate as error:
        return render_page(customer, 409, posted=posted, duplicate=duplicate_notice(error))
    except Conflict:
        return render_page(customer, 409, posted=posted, conflict=True)
    flash(_("Saved"))
    return redirect(url_for("customers.page", customer_id=customer_id), 303)


@bp.post("/<int:customer_id>/claim")
def claim_customer(customer_id: int):
    return change_owner(customer_id, claim, _("You claimed this customer."))


@bp.post("/<int:customer_id>/release")
def release_customer(customer_id: int):
    return change_owner(customer_id, release, _("The customer went back to the pool."))


def change_owner(customer_id: int, change: Any, done: str) -> Response:
    customer = service().get(g.user, customer_id)
    try:
        change(service(), g.user, customer_id)
    except ValidationFailed as failed:
        return render_page(customer, 422, action_errors=[pool_message(v) for v in failed.violations])
    except Conflict:
        return render_page(customer, 409, action_errors=[
            _("Someone else changed this customer in the meantime. Reload it to see their changes.")])
    flash(done)
    return redirect(url_for("customers.page", customer_id=customer_id), 303)


@bp.post("/<int:customer_id>/contacts")
def add_contact(customer_id: int):
    customer = service().get(g.user, customer_id)
    service().require_edit(g.user, customer)
    kind = service().types.contact
    posted = read_record(kind)
    role = request.form.get("role") or None
    try:
        if not posted.ok:
            raise ValidationFailed([])
        current_runtime().contacts.create(g.user, customer_id, posted.name, role, posted.data,
                                          primary=request.form.get("primary") == "true")
    except ValidationFailed as failed:
        posted.add(kind, failed.violations)
        if role is not None and role not in kind.role_ids:
            posted.form_errors.append(_("Choose one of the roles."))
        return render_page(customer, 422, contact=posted)
    flash(_("Contact added."))
    return redirect(url_for("customers.page", customer_id=customer_id) + "#contacts", 303)


def edited_contact(customer_id: int, contact_id: int) -> tuple[dict, dict]:
    """The customer and one of its contacts, both visible to the user (else 404), for editing."""
    customer = service().get(g.user, customer_id)
    contact = current_runtime().contacts.get(g.user, contact_id)
    if contact["customer_id"] != customer["id"]:
        raise NotFound(f"contact {contact_id} is not customer {customer_id}'s")
    service().require_edit(g.user, customer)
    if contact.get("details_hidden"):
        raise Forbidden(f"{g.user['username']} may not change contact {contact_id} before claiming its customer")
    return customer, contact


def render_contact(customer: dict, contact: dict, status: int = 200, posted: Posted | None = None,
                   conflict: bool = False) -> Response:
    kind = service().types.contact
    form = request.form if posted else {}
    body = render_template(
        "customers/contact.html", customer=customer, contact=contact, posted=posted, conflict=conflict,
        roles=kind.roles, max_name=MAX_NAME,
        role=form.get("role", "") if posted else contact["role"] or "",
        primary=form.get("primary") == "true" if posted else contact["primary"],
        form_version=form.get("version", "") if conflict else contact["version"],
        fields=record_fields(kind, contact["data"], posted, "contact"))
    return respond(body, status)


@bp.get("/<int:customer_id>/contacts/<int:contact_id>")
def contact_form(customer_id: int, contact_id: int):
    return render_contact(*edited_contact(customer_id, contact_id))


@bp.post("/<int:customer_id>/contacts/<int:contact_id>")
def save_contact(customer_id: int, contact_id: int):
    customer, contact = edited_contact(customer_id, contact_id)
    kind = service().types.contact
    posted = read_record(kind, current=contact["data"])
    role = request.form.get("role") or None
    try:
        if not posted.ok:
            raise ValidationFailed([])
        current_runtime().contacts.update(g.user, contact_id, posted.name, role, posted.data,
                                          primary=request.form.get("primary") == "true",
                                          version=whole_number_param("version", request.form))
    except ValidationFailed as failed:
        posted.add(kind, failed.violations)
        if role is not None and role not in kind.role_ids:
            posted.form_errors.append(_("Choose one of the roles."))
        return render_contact(customer, contact, 422, posted)
    except Conflict:
        return render_contact(customer, contact, 409, posted, conflict=True)
    flash(_("Saved"))
    return redirect(url_for("customers.page", customer_id=customer_id) + "#contacts", 303)
