"""Forms generated from JSON Schema: every widget kind, the ui hints, plugin widgets, parsing."""
from __future__ import annotations

import copy
from html.parser import HTMLParser

import pytest
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from goldsieve import hookimpl
from goldsieve.ui import form_controls, forms

WIDGETS_FUNNEL = {
    "id": "widgets",
    "title": {"en": "Widget test", "zh-Hans": "控件测试"},
    "version": 1,
    "currency": "EUR",
    "fields": {
        "type": "object",
        "properties": {
            "company": {"type": "string", "title": {"en": "Company", "zh-Hans": "公司"},
                        "minLength": 2, "maxLength": 80},
            "code": {"type": "string", "title": "Code", "pattern": "^[A-Z]{3}$",
                     "description": "Three capital letters"},
            "story": {"type": "string", "title": "Story"},
            "amount": {"type": "number", "title": "Amount", "minimum": 0, "maximum": 1000000},
            "seats": {"type": "integer", "title": "Seats", "minimum": 1},
            "signed": {"type": "boolean", "title": "Signed"},
            "size": {"type": "string", "title": "Size", "enum": ["S", "M", "L"]},
            "channel": {"type": "string", "title": "Channel", "enum": ["web", "phone"]},
            "tier": {"title": "Tier", "oneOf": [{"const": 1, "title": "Gold"}, {"const": 2, "title": "Silver"}]},
            "products": {"type": "array", "title": "Products", "items": {"enum": ["crm", "erp", "bi"]}},
            "regions": {"type": "array", "title": "Regions", "items": {"enum": ["north", "south"]}},
            "close_date": {"type": "string", "format": "date", "title": "Close date"},
            "meeting": {"type": "string", "format": "date-time", "title": "Meeting"},
            "email": {"type": "string", "format": "email", "title": "Email"},
            "site": {"type": "string", "format": "uri", "title": "Website"},
            "phone": {"type": "string", "title": "Phone"},
            "rating": {"type": "integer", "title": "Rating", "minimum": 0, "maximum": 5},
            "title": {"type": "string", "title": "Job title"},
        },
        "required": ["company"],
    },
    "ui": {
        "order": ["company", "amount", "seats"],
        "widgets": {"story": "textarea", "channel": "radio", "regions": "checkboxes", "phone": "tel",
                    "rating": "stars"},
        "help": {"amount": {"en": "Before tax", "zh-Hans": "税前"}, "story": "How they found us"},
    },
    "stages": [
        {"id": "new", "title": "New", "kind": "open", "probability": 0.1},
        {"id": "won", "title": "Won", "kind": "won", "probability": 1.0},
        {"id": "lost", "title": "Lost", "kind": "lost", "probability": 0.0},
    ],
    "lost_reasons": [{"id": "price", "title": "Price"}],
}


@pytest.fixture
def goldsieve_funnel():
    return copy.deepcopy(WIDGETS_FUNNEL)


class Elements(HTMLParser):
    """Every start tag of a snippet with its attributes; the text of each label and textarea."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.labels: dict[str, str] = {}
        self.texts: dict[str, str] = {}
        self._label: str | None = None
        self._textarea: str | None = None
        self.feed(str(html))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "label" and attrs.get("for"):
            self._label = attrs["for"]
            self.labels.setdefault(self._label, "")
        if tag == "textarea":
            self._textarea = attrs.get("id")
            self.texts[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "label":
            self._label = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._label:
            self.labels[self._label] += data
        if self._textarea:
            self.texts[self._textarea] += data

    def by_id(self, element_id: str) -> tuple[str, dict]:
        return next((tag, attrs) for tag, attrs in self.tags if attrs.get("id") == element_id)

    def named(self, name: str) -> list[tuple[str, dict]]:
        return [(tag, attrs) for tag, attrs in self.tags if attrs.get("name") == name]

    def label(self, element_id: str) -> str:
        return " ".join(self.labels.get(element_id, "").split()).rstrip("*").strip()


@pytest.fixture
def funnel(goldsieve_runtime):
    return goldsieve_runtime.funnels.get("widgets")


@pytest.fixture
def ctx(goldsieve_app):
    with goldsieve_app.test_request_context("/"):
        yield


class Stars:
    @hookimpl
    def goldsieve_field_widgets(self):
        def stars(name, value, schema, attrs):
            return Markup('<input type="range" name="{}" value="{}"{}>').format(
                name, value if value is not None else "",
                Markup("").join(Markup(' {}="{}"').format(k, v) for k, v in attrs.items()
                                if isinstance(v, str)))
        return {"stars": stars}


def render(funnel, names=None, **kwargs) -> Elements:
    return Elements(form_controls.render(funnel, names or forms.field_names(funnel), **kwargs))


def test_every_widget_kind_renders_its_element_with_a_label(funnel, ctx):
    page = render(funnel, values={"size": "M", "products": ["crm", "bi"], "signed": True,
                                  "meeting": "2026-03-01T08:30:00Z", "tier": 2})
    expected = {
        "company": ("input", {"type": "text", "minlength": "2", "maxlength": "80"}),
        "story": ("textarea", {}),
        "amount": ("input", {"type": "number", "min": "0", "max": "1000000", "step": "any"}),
        "seats": ("input", {"type": "number", "min": "1", "step": "1"}),
        "signed": ("input", {"type": "checkbox", "value": "true", "checked": None}),
        "size": ("select", {}),
        "tier": ("select", {}),
        "products": ("select", {"multiple": ""}),
        "close_date": ("input", {"type": "date"}),
        "meeting": ("input", {"type": "datetime-local", "value": "2026-03-01T08:30"}),
        "email": ("input", {"type": "email"}),
        "site": ("input", {"type": "url"}),
        "phone": ("input", {"type": "tel"}),
    }
    titles = {"company": "Company", "close_date": "Close date", "site": "Website", "tier": "Tier"}
    for name, (tag, attributes) in expected.items():
        found_tag, found = page.by_id(f"f-{name}")
        assert found_tag == tag, name
        for key, value in attributes.items():
            assert key in found and found[key] == value, (name, key, found)
        assert page.label(f"f-{name}") == titles.get(name, funnel.property_title(name)), name
    assert page.by_id("f-company")[1]["required"] == ""
    assert "required" not in page.by_id("f-story")[1]
    assert "pattern" in page.by_id("f-code")[1] and "[A-Z]{3}" in page.by_id("f-code")[1]["pattern"]
    # enum options, the selection, and a oneOf of const + title
    options = [(a["value"], "selected" in a) for t, a in page.tags if t == "option"]
    assert ("M", True) in options and ("S", False) in options
    assert ("crm", True) in options and ("erp", False) in options and ("bi", True) in options
    assert ("2", True) in options
    # the unchecked box and the emptied multi-select still post their name
    assert [a["value"] for t, a in page.named("signed")] == ["false", "true"]
    assert ("input", {"type": "hidden", "name": "products", "value": ""}) in page.named("products")


def test_radio_and_checkbox_groups_label_each_choice(funnel, ctx):
    page = render(funnel, ["channel", "regions"], values={"channel": "web", "regions": ["south"]})
    tag, _fieldset = page.by_id("f-channel")
    assert tag == "fieldset"
    radios = [a for t, a in page.named("channel") if a.get("type") == "radio"]
    assert [r["value"] for r in radios] == ["web", "phone"] and "checked" in radios[0]
    assert all(page.label(r["id"]) == r["value"] for r in radios)
    boxes = [a for t, a in page.named("regions") if a.get("type") == "checkbox"]
    assert [b["value"] for b in boxes] == ["north", "south"] and "checked" in boxes[1]
    assert all(page.label(b["id"]) for b in boxes)
    html = form_controls.render(funnel, ["channel"])
    assert "<legend" in html and "Channel" in html


def test_ui_order_comes_first_then_schema_order(funnel):
    names = forms.field_names(funnel)
    assert names[:4] == ["company", "amount", "seats", "code"]
    assert set(names) == set(WIDGETS_FUNNEL["fields"]["properties"])


def test_help_and_errors_are_linked_to_their_field(funnel, ctx):
    page = render(funnel, ["amount", "code", "story"], errors={"amount": ["Too big"]})
    amount = page.by_id("f-amount")[1]
    assert amount["aria-describedby"] == "f-amount-help f-amount-error"
    assert amount["aria-invalid"] == "true"
    html = form_controls.render(funnel, ["amount", "code", "story"], errors={"amount": ["Too big"]})
    assert 'id="f-amount-help"' in html and "Before tax" in html
    assert 'id="f-amount-error"' in html and "Too big" in html
    assert page.by_id("f-code")[1]["aria-describedby"] == "f-code-help"
    assert "Three capital letters" in html  # the schema's description is help too
    assert "How they found us" in html  # ui.help
    assert "aria-invalid" not in page.by_id("f-code")[1]


def test_gate_required_fields_are_required(funnel, ctx):
    page = render(funnel, ["amount", "signed"], required={"amount", "signed"})
    assert "required" in page.by_id("f-amount")[1]
    # a required box cannot use `required` (it would demand a tick): it says so instead
    assert page.by_id("f-signed")[1]["aria-required"] == "true"


def test_titles_and_help_follow_the_page_language(goldsieve_app, funnel):
    with goldsieve_app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        html = form_controls.render(funnel, ["company", "amount"])
    assert "公司" in html and "税前" in html


def test_plugin_widget_from_the_hook(funnel, ctx, goldsieve_register):
    without = render(funnel, ["rating"])
    assert without.by_id("f-rating")[1]["type"] == "number", "unknown widget: the built-in one"
    goldsieve_register(Stars())
    page = render(funnel, ["rating"], values={"rating": 4}, errors={"rating": ["Nope"]})
    tag, attrs = page.by_id("f-rating")
    assert tag == "input" and attrs["type"] == "range" and attrs["value"] == "4"
    assert attrs["name"] == "rating" and attrs["aria-invalid"] == "true"
    assert attrs["min"] == "0" and attrs["max"] == "5", "constraints reach the plugin"
    assert page.label("f-rating") == "Rating"
    parsed = forms.parse(funnel, MultiDict({"rating": "5"}))
    assert parsed.changes == {"rating": 5}


def test_a_failing_plugin_widget_falls_back(funnel, ctx, goldsieve_register):
    class Broken:
        @hookimpl
        def goldsieve_field_widgets(self):
            return {"stars": lambda name, value, schema, attrs: 1 / 0}

    goldsieve_register(Broken())
    assert render(funnel, ["rating"]).by_id("f-rating")[1]["type"] == "number"


def test_parse_round_trips_every_kind(funnel, ctx):
    values = {"company": "Acme", "code": "ABC", "story": "line one\nline two", "amount": 1250.5,
              "seats": 12, "signed": True, "size": "L", "channel": "phone", "tier": 1,
              "products": ["crm", "erp"], "regions": ["north"], "close_date": "2026-02-01",
              "meeting": "2026-03-01T08:30:00Z", "email": "a@b.example", "site": "https://acme.example",
              "phone": "+86 10 1234 5678", "rating": 3, "title": "CEO"}
    form = posted_form(form_controls.render(funnel, forms.field_names(funnel), values=values))
    parsed = forms.parse(funnel, form, current=values)
    assert parsed.errors == {}
    assert parsed.changes == values


def test_emptied_fields_mean_remove_and_an_unticked_box_means_false(funnel, ctx):
    form = MultiDict([("company", "Acme"), ("amount", ""), ("signed", "false"), ("products", ""),
                      ("size", ""), ("regions", ""), ("story", "  ")])
    parsed = forms.parse(funnel, form)
    assert parsed.errors == {}
    assert parsed.changes == {"company": "Acme", "amount": None, "signed": False, "products": None,
                              "size": None, "regions": None, "story": None}
    assert forms.parse(funnel, MultiDict({"company": "x"})).names == ["company"], "only what was posted"


def test_a_reserved_name_posts_under_data_prefix(funnel, ctx):
    page = render(funnel, ["title"])
    [(_tag, attrs)] = page.named("data.title")  # its id is not the one the page's own title input has
    assert attrs["id"] != "f-title" and page.label(attrs["id"]) == "Job title"
    assert forms.parse(funnel, MultiDict({"data.title": "CFO", "title": "Deal"})).changes == {"title": "CFO"}


@pytest.mark.parametrize("name, text, message", [
    ("amount", "12,5x", "“12,5x” is not a number"),
    ("amount", "1e", "“1e” is not a number"),
    ("seats", "2.5", "“2.5” is not a whole number"),
    ("seats", "many", "“many” is not a whole number"),
    ("size", "XXL", "“XXL” is not a choice: choose one of S, M, L"),
    ("products", "nope", "“nope” is not a choice: choose one of crm, erp, bi"),
    ("meeting", "tomorrow", "Enter a date and time."),
])
def test_unparsable_input_is_an_error_for_that_field(funnel, ctx, name, text, message):
    parsed = forms.parse(funnel, MultiDict({name: text, "company": "Acme"}))
    assert parsed.errors == {name: [message]}
    assert parsed.changes == {"company": "Acme"}


def test_numbers_parse_to_json_numbers(funnel, ctx):
    parsed = forms.parse(funnel, MultiDict({"amount": "1200000", "seats": "3.0"}))
    assert parsed.changes == {"amount": 1200000, "seats": 3}
    assert isinstance(parsed.changes["amount"], int)
    assert forms.parse(funnel, MultiDict({"amount": "-0.25"})).changes == {"amount": -0.25}


def test_values_are_escaped(funnel, ctx):
    evil = '<script>alert(1)</script>"'
    html = form_controls.render(funnel, ["company", "story"], values={"company": evil, "story": evil},
                        errors={"company": [evil]})
    assert "<script>" not in html
    assert str(escape(evil)) in html


def test_violations_map_to_fields_and_messages(funnel, ctx):
    from goldsieve.errors import Violation

    by_field, others = forms.split_violations(funnel, [
        Violation("/data/amount", "required", "“Amount” is required to enter “Quote”."),
        Violation("/data/email", "format", "'x' is not a 'email'"),
        Violation("/data/products/1", "enum", "'z' is not one of"),
        Violation("/to", "skip", "no skipping"),
    ])
    assert by_field == {"amount": ["This field is required."], "email": ["Enter an e-mail address."],
                        "products": ["Choose one of crm, erp, bi."]}  # read back: the schema names them
    assert [v.path for v in others] == ["/to"]


def test_html_pattern_keeps_search_semantics_or_stays_out():
    assert forms.html_pattern("^[A-Z]{3}$") == "[\\s\\S]*(?:^[A-Z]{3}$)[\\s\\S]*"
    assert forms.html_pattern("[a-z-]+") is None, "invalid in the v flag's syntax"
    assert forms.html_pattern(None) is None


def posted_form(html: str) -> MultiDict:
    """What a browser would post for a rendered snippet (no one touching anything)."""
    page = Elements(html)
    form: list[tuple[str, str]] = []
    selects: dict[str, str] = {}
    select_name = None
    for tag, attrs in page.tags:
        name = attrs.get("name")
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                continue
            form.append((name, attrs.get("value") or ""))
        elif tag == "select":
            select_name = name
            selects[name] = "multiple" in attrs
        elif tag == "option" and "selected" in attrs:
            form.append((select_name, attrs["value"]))
        elif tag == "textarea":
            form.append((name, page.texts.get(attrs["id"], "")))
    return MultiDict(form)


def test_the_pages_and_the_command_line_word_a_refusal_the_same(goldsieve_app, funnel):
    """Issue 21, part 3: one rule words a refused value for both (goldsieve.funnels.wording); the
    command line adds the field's title, the page shows its label."""
    from goldsieve import locales
    from goldsieve.deals.importing import unreadable_said
    from goldsieve.funnels import wording
    from goldsieve.funnels.validation import violations
    from goldsieve.spreadsheets import converter

    found = violations(funnel.fields_validator, {"company": "Acme", "code": "abc", "size": "XXL", "tier": 3,
                                               "amount": 2e6})
    with goldsieve_app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        by_field, _others = forms.split_violations(funnel, found)
        parsed = forms.parse(funnel, MultiDict({"seats": "many"}))
    token = locales.reader.set("zh_Hans")
    try:
        lines = {forms.field_of(v.path): wording.line(v) for v in found}  # what the command line prints
        with pytest.raises(ValueError) as unreadable:
            converter({"type": "integer"})("many")  # a cell the import cannot read
        cell_said = unreadable_said(unreadable.value)
    finally:
        locales.reader.reset(token)
    assert by_field == {"code": ["“abc” 的格式不符合要求"], "size": ["“XXL” 不是可选项：请从 S, M, L 中选择"],
                        "tier": ["“3” 不是可选项：请从 Gold, Silver 中选择"], "amount": ["请输入不大于 1,000,000 的数字。"]}
    assert lines == {"code": "Code: “abc” 的格式不符合要求", "size": "Size: “XXL” 不是可选项：请从 S, M, L 中选择",
                     "tier": "Tier: “3” 不是可选项：请从 Gold, Silver 中选择", "amount": "Amount: 请输入不大于 1,000,000 的数字。"}
    assert parsed.errors == {"seats": [cell_said]} == {"seats": ["“many” 不是整数"]}
