"""``goldsieve activities``: log, plan, mark done and list a rep's calls, visits and meetings
(docs/activities.md) from the command line.

Every write goes through :class:`~goldsieve.deals.activities.Activities`, as the API's does, so
the declared types and fields, who may see and change what, and the times are checked by the
same rules. ``--as`` names the person: an activity is always someone's. A refusal is one line per
problem, naming the option it is about, in the reader's language, with exit status 1 and
nothing written; an id that is not ASCII digits is refused by click before the store opens.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import click

from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from .base import cli, fail, no_such_user, say_error, workspace_option, workspace_runtime
from .remote import forwarded

#: which option each refused key of an activity came from
OPTIONS = {"type": "--type", "deal_id": "--deal", "customer_id": "--customer", "due_at": "--due",
           "done_at": "--at", "duration_minutes": "--duration", "outcome": "--outcome",
           "contact_ids": "--contact", "status": "ACTIVITY_ID", "data": "--data", "title": "--title"}


class Id(click.ParamType):
    """A record's id: ASCII digits only (``１２`` or ``١٢`` are refused, which ``int`` reads)."""

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from ..limits import whole_number

        number = value if isinstance(value, int) else whole_number(value, low=1)
        if number is None:
            from ..funnels.wording import show

            self.fail(_("%(value)s is not an id: write it in the digits 0-9", value=show(value)), param, ctx)
        return number


ID = Id()


@cli.group("activities")
def activities() -> None:
    """Activities: log, plan, mark done and list calls, visits and meetings (docs/activities.md)."""


def _person(rt: Any, name: str) -> dict[str, Any]:
    from ..people.users import find_user, is_active

    user = find_user(rt.store, name)
    if user is None or not is_active(user):
        no_such_user(name)
    return user


def _time(text: str | None) -> str | None:
    """A typed time for the kernel (:func:`goldsieve.clock.typed_minute`)."""
    from ..clock import typed_minute

    return None if text is None else typed_minute(text)


def _minutes(text: str | None) -> object:
    from ..limits import read_number

    if text is None:
        return None
    number = read_number(text, integer=True)
    return number if number is not None else text


def _data(kind: Any, pairs: tuple[str, ...]) -> dict[str, Any]:
    """``--data KEY=VALUE`` read as the type's declared field reads a spreadsheet cell."""
    from ..deals.importing import unreadable_said
    from ..funnels import wording
    from ..spreadsheets import converter

    declared = kind.fields_schema.get("properties") or {} if kind is not None else {}
    data, problems = {}, []
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            problems.append(_("--data: write KEY=VALUE, not %(pair)s", pair=wording.show(pair)))
            continue
        try:
            data[key] = converter(declared[key])(value) if key in declared else value
        except ValueError as error:
            problems.append(f"--data {key}: {unreadable_said(error)}")
    if problems:
        _refuse(problems)
    return data


def _refuse(lines: list[str]) -> NoReturn:
    for line in lines:
        say_error(line)
    raise SystemExit(1)


def _said(violation: Any, typed: dict[str, Any], types: Any) -> str:
    """One refusal, as ``--option: what is wrong``, in the reader's language."""
    from ..funnels import wording

    key = violation.path.strip("/").split("/")[0]
    if key == "data" and violation.code != "unknown_field":
        return f"--data {wording.line(violation)}"
    if key == "location":  # /location/lat or /location/lon: out of range, or no number
        degrees = _("give degrees from -%(limit)s to %(limit)s", limit=violation.limit)
        return f"--{violation.path.split('/')[-1]}: {degrees}"
    code = violation.code
    said = {
        "unknown_type": lambda: _("%(value)s is not a declared activity type; choose one of %(choices)s",
                                  value=wording.show(typed.get("type")), choices=", ".join(types.ids)),
        "unknown_field": lambda: _("the activity type declares no field %(name)s",
                                   name=wording.show(violation.path.split("/")[2])),
        "unknown_deal": lambda: _("there is no deal %(id)s that you can see", id=typed.get("deal_id")),
        "unknown_customer": lambda: _("there is no customer %(id)s that you can see", id=typed.get("customer_id")),
        "not_the_deal_s": lambda: _("name the deal's own customer, or none"),
        "format": lambda: _("give a time as YYYY-MM-DD HH:MM in UTC, or ISO 8601 with a time zone"),
        "future": lambda: _("a done activity cannot lie in the future; plan it instead"),
        "range": lambda: _("give whole minutes from 0 to %(limit)s", limit=violation.limit),
        "unknown_contact": lambda: _("name contacts of the activity's customer by their ids"),
        "done": lambda: _("this activity is done already"),
        "invalid": lambda: _("it cannot hold NUL characters or broken Unicode"),
    }
    if code == "required":
        text = (_("name a deal with --deal, a customer with --customer, or both") if key == "deal_id"
                else _("give the time it is due"))
    else:
        text = said[code]() if code in said else wording.said(violation)
    return f"{OPTIONS.get(key, key)}: {text}"


def _carry_out(rt: Any, user: dict[str, Any], typed: dict[str, Any], write: Any) -> dict[str, Any]:
    """Run ``write``: every refusal is a line, exit 1, nothing written."""
    from ..errors import Forbidden, NotFound, ValidationFailed

    types = rt.activities.types
    try:
        return write()
    except ValidationFailed as refused:
        _refuse([_said(v, typed, types) for v in refused.violations])
    except Forbidden:
        fail(_("“%(user)s” may not change what this activity is about", user=user["username"]))
    except NotFound:
        fail(_("there is no activity %(id)s that “%(user)s” can see", id=typed.get("id"), user=user["username"]))


def _label(rt: Any, type_id: str) -> str:
    from ..locales import bcp47, reader

    kind = rt.activities.types.get(type_id)
    return kind.label(bcp47(reader.get() or "en")) if kind is not None else type_id


_AS = click.option("--as", "as_user", required=True, help="Whose activity it is: the user logging it.")
_DEAL = click.option("--deal", "deal_id", type=ID, default=None, help="The deal's id.")
_CUSTOMER = click.option("--customer", "customer_id", type=ID, default=None,
                         help="The customer's id (by default the deal's).")
_TYPE = click.option("--type", "type_id", required=True, help="A declared activity type, e.g. visit.")
_DETAILS = [
    click.option("--title", default=None, help="Its own title (up to 200 characters), shown in calendars."),
    click.option("--contact", "contact_ids", type=ID, multiple=True, help="A contact's id (repeatable)."),
    click.option("--duration", default=None, help="How long, in whole minutes."),
    click.option("--outcome", default=None, help="What came of it (up to 2,000 characters)."),
    click.option("--data", "pairs", multiple=True, metavar="KEY=VALUE",
                 help="A field the type declares (repeatable)."),
]


def _create(workspace: Path, as_user: str, type_id: str, deal_id: int | None, customer_id: int | None,
            title: str | None, contact_ids: tuple[int, ...], duration: str | None, outcome: str | None,
            pairs: tuple[str, ...], location: dict[str, object] | None = None,
            **when: str | None) -> None:  # when: done_at (log) or due_at (plan)
    """``log`` (``done_at``, by default now; ``location``: where) and ``plan`` (``due_at``): one
    new activity, or the lines why not."""
    from ..clock import stamp

    with workspace_runtime(workspace) as rt:
        user = _person(rt, as_user)
        if "done_at" in when and when["done_at"] is None:
            when["done_at"] = stamp(rt.engine.clock())
        data = _data(rt.activities.types.get(type_id), pairs)
        typed = {"type": type_id, "deal_id": deal_id, "customer_id": customer_id}
        made = _carry_out(rt, user, typed, lambda: rt.activities.create(
            user, type_id, deal_id=deal_id, customer_id=customer_id, contact_ids=list(contact_ids),
            duration_minutes=_minutes(duration), outcome=outcome, data=data, title=title, location=location,
            **{k: _time(v) for k, v in when.items()}))
        label = _label(rt, made["type"])
    if made["status"] == "done":
        click.echo(_("activity %(id)s logged: %(type)s, done %(at)s", id=made["id"], type=label, at=made["done_at"]))
    else:
        click.echo(_("activity %(id)s planned: %(type)s, due %(at)s", id=made["id"], type=label, at=made["due_at"]))


def _new_activity(when: click.Option) -> Any:
    """The options of ``log`` and ``plan``: who, what, on which deal or customer, ``when``
    (``--at`` or ``--due``) and the details."""
    def options(command: Any) -> Any:
        for option in reversed([workspace_option, _AS, _TYPE, _DEAL, _CUSTOMER, when, *_DETAILS]):
            command = option(command)
        return command
    return options


@forwarded
@activities.command("log")
@_new_activity(click.option("--at", "done_at", default=None,
                            help="When it happened (default: now): YYYY-MM-DD HH:MM in UTC."))
@click.option("--lat", default=None, help="Where it happened (a visit): latitude in degrees, with --lon.")
@click.option("--lon", default=None, help="Longitude in degrees, with --lat.")
def log_command(workspace: Path, lat: str | None, lon: str | None, **given: Any) -> None:
    """Log a done activity on a deal and/or a customer: the deal's stale clock restarts."""
    _create(workspace, location=_location(lat, lon), **given)


def _location(lat: str | None, lon: str | None) -> dict[str, object] | None:
    """``{lat, lon}`` as the web form stores the phone's position; one without the other is
    refused here, a number out of range (or no number: it goes on as typed) by the kernel."""
    if lat is None and lon is None:
        return None
    if lat is None or lon is None:
        _refuse([_("%(option)s: give --lat and --lon together", option="--lon" if lon is None else "--lat")])
    from ..limits import read_number

    return {key: text if read_number(text) is None else read_number(text) for key, text in (("lat", lat), ("lon", lon))}


@forwarded
@activities.command("plan")
@_new_activity(click.option("--due", "due_at", required=True, help="When it is due: YYYY-MM-DD HH:MM in UTC."))
def plan_command(workspace: Path, **given: Any) -> None:
    """Plan an activity: the deal's next step when it is the earliest planned one."""
    _create(workspace, **given)


@forwarded
@activities.command("done")
@workspace_option
@click.argument("activity_id", type=ID)
@_AS
@click.option("--at", "done_at", default=None, help="When it happened (default: now): YYYY-MM-DD HH:MM in UTC.")
@click.option("--outcome", default=None, help="What came of it.")
@click.option("--duration", default=None, help="How long, in whole minutes.")
def done_command(workspace: Path, activity_id: int, as_user: str, done_at: str | None, outcome: str | None,
                 duration: str | None) -> None:
    """Mark the planned activity ACTIVITY_ID done."""
    with workspace_runtime(workspace) as rt:
        user = _person(rt, as_user)
        done = _carry_out(rt, user, {"id": activity_id}, lambda: rt.activities.complete(
            user, activity_id, done_at=_time(done_at), outcome=outcome, duration_minutes=_minutes(duration)))
        label = _label(rt, done["type"])
    click.echo(_("activity %(id)s done: %(type)s, %(at)s", id=done["id"], type=label, at=done["done_at"]))


@forwarded
@activities.command("list")
@workspace_option
@_AS
@_DEAL
@_CUSTOMER
@click.option("--type", "type_id", default=None, help="Only this type.")
@click.option("--status", type=click.Choice(["planned", "done"]), default=None, help="Only planned or done ones.")
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text", show_default=True,
              help="text: one line each; jsonl: one JSON document per line, as stored.")
def list_command(workspace: Path, as_user: str, deal_id: int | None, customer_id: int | None,
                 type_id: str | None, status: str | None, fmt: str) -> None:
    """List the activities of a deal or a customer, else your own: planned ones by due time,
    then done ones newest first."""
    from ..errors import NotFound

    with workspace_runtime(workspace) as rt:
        user = _person(rt, as_user)
        try:
            rows = rt.activities.list(user, deal_id=deal_id, customer_id=customer_id, type_id=type_id,
                                      status=status)
        except NotFound:
            fail("--deal: " + _("there is no deal %(id)s that you can see", id=deal_id) if deal_id is not None
                 else "--customer: " + _("there is no customer %(id)s that you can see", id=customer_id))
        labels = {t: _label(rt, t) for t in {r["type"] for r in rows}}
    for row in rows:
        if fmt == "jsonl":
            click.echo(json.dumps(row, ensure_ascii=False))
            continue
        on = [_("deal %(id)s", id=row["deal_id"])] if row["deal_id"] is not None else []
        on += [_("customer %(id)s", id=row["customer_id"])] if row["customer_id"] is not None else []
        state = _("planned, due %(at)s", at=row["due_at"]) if row["status"] == "planned" else _(
            "done %(at)s", at=row["done_at"])
        what = labels[row["type"]]
        what = _("%(type)s: %(title)s", type=what, title=row["title"]) if row.get("title") else what
        click.echo("\t".join([str(row["id"]), what, state, ", ".join(on), row["outcome"] or ""]))
    if not rows and fmt == "text":
        click.echo(_("no activities"))
