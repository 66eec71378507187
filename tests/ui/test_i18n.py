"""Languages: every UI string in Simplified and Traditional Chinese, pages in the reader's language,
numbers, money and dates as the locale writes them, funnel titles in the page's language.

The first tests extract the strings from the code exactly as ``make messages`` does (Babel, with
``ui/babel.cfg``), so a string added to the UI without a translation in both catalogs fails here.
"""
from __future__ import annotations

import copy
import functools
import os
import re
from collections import Counter
from datetime import UTC
from pathlib import Path

import pytest
from babel.dates import format_datetime
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency

from goldsieve import locales
from goldsieve.ui import i18n

UI = Path(i18n.__file__).resolve().parent  # the package Flask-Babel loads its catalogs from
TRANSLATIONS = UI / "translations"
CATALOGS = ["zh_Hans", "zh_Hant"]
KERNEL = Path(locales.__file__).resolve().parent
#: the kernel modules writing texts for a reader through goldsieve.locales (KERNEL_MESSAGES in the Makefile)
KERNEL_MESSAGES = ["../plugins/lint.py", "funnels/check.py", "funnels/findings.py", "funnels/json_files.py", "funnels/validation.py", "funnels/edit.py",
                   "funnels/edit_fields.py", "funnels/edit_automations.py", "funnels/edit_rules.py",
                   "funnels/edit_activities.py", "funnels/drafts.py",
                   "automation/digest.py",
                   "analytics/figures.py", "records/pool.py", "deals/reassign.py", "deals/handover.py",
                   "deals/task_changes.py", "automation/reminders.py", "workplace/sync.py",
                   "cli/workplace.py", "workplace/notices.py", "funnels/wording.py", "deals/importing.py",
                   "cli/base.py", "cli/activities.py", "cli/data.py", "cli/channels.py", "cli/customers.py", "cli/funnels.py",
                   "cli/people.py", "cli/pool.py", "cli/serving.py", "people/users.py",
                   "funnels/registry.py", "records/customers.py", "deals/engine.py", "workspace.py",
                   "analytics/windows.py",
                   "spreadsheets.py", "records/importing.py", "funnels/transitions.py", "deals/checks.py",
                   "deals/bypass.py", "people/teams.py", "people/permissions.py", "errors.py",
                   "records/merging.py", "deals/activity_gates.py", "deals/next_step.py", "deals/tasks.py",
                   "people/calendar_keys.py", "funnels/plan.py", "funnels/migration.py", "automation/check.py",
                   "records/check.py"]


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    """The .mo files are build output (``make assets``); compile any missing or older than its .po,
    so ``pytest`` alone also runs on a fresh checkout."""
    for po in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source)
        partial = mo.with_name(f".{mo.name}.{os.getpid()}")
        with partial.open("wb") as target:
            write_mo(target, catalog)
        os.replace(partial, mo)  # never a half-written file for a concurrent reader


# --- the catalogs against the code ------------------------------------------------------------


def mapping():
    from babel.messages import frontend

    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with (UI / "babel.cfg").open(encoding="utf-8") as cfg:
        return parse(cfg, filename=str(UI / "babel.cfg"))


@functools.cache
def extracted() -> dict[tuple[str | None, str], tuple[str | tuple[str, ...], str]]:
    """(context, msgid) -> (message as extracted: a string, or (singular, plural)), first location)."""
    method_map, options_map = mapping()
    found: dict = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(UI), method_map, options_map, keywords=DEFAULT_KEYWORDS):
        message = tuple(message) if isinstance(message, (tuple, list)) else message
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault((context, msgid), (message, f"ui/{filename}:{lineno}"))
    for name in KERNEL_MESSAGES:
        for lineno, msgid, _comments, context in extract_from_file(
                "python", str(KERNEL / name), keywords=DEFAULT_KEYWORDS):
            found.setdefault((context, msgid), (msgid, f"core/{name}:{lineno}"))
    return found


def load(path: Path, locale: str | None = None):
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def catalog(locale: str):
    return load(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", locale)


HOW_TO_FIX = ("\nRun `make messages`, translate the new or fuzzy entries in "
              "ui/translations/*/LC_MESSAGES/messages.po, then `make assets`.")


def test_extraction_finds_the_ui_strings():
    found = extracted()
    assert len(found) > 80
    assert (None, "Log in") in found  # a template
    assert (None, "This field is required.") in found  # Python
    assert found[(None, "%(num)d day in stage")][0] == ("%(num)d day in stage", "%(num)d days in stage")


@pytest.mark.parametrize("locale", CATALOGS)
def test_every_ui_string_has_a_translation(locale):
    translations = catalog(locale)
    assert not translations.fuzzy, "a fuzzy header makes `pybabel compile` skip the whole catalog"
    assert translations.num_plurals == 1 and translations.plural_expr == "0", "Chinese has one form"
    problems = []
    for (context, msgid), (message, where) in sorted(extracted().items(), key=lambda item: item[1][1]):
        entry = translations.get(msgid, context=context)
        plural = isinstance(message, tuple)
        strings = entry.string if entry is not None and isinstance(entry.string, tuple) else (
            (entry.string,) if entry is not None else ())
        if entry is None:
            problems.append(f"{where}: {msgid!r} is not in the catalog")
        elif entry.fuzzy:
            problems.append(f"{where}: {msgid!r} is marked fuzzy")
        elif plural != entry.pluralizable or (plural and entry.id[1] != message[1]):
            problems.append(f"{where}: {msgid!r} is a plural in one place and not the other")
        elif len(strings) != (translations.num_plurals if plural else 1) or not all(strings):
            problems.append(f"{where}: {msgid!r} has no translation")
    assert not problems, f"{locale}:\n" + "\n".join(problems) + HOW_TO_FIX


def test_the_template_lists_every_ui_string():
    template = load(TRANSLATIONS / "messages.pot")
    missing = [f"{where}: {msgid!r}" for (context, msgid), (_m, where) in extracted().items()
               if template.get(msgid, context=context) is None]
    assert not missing, "\n".join(missing) + HOW_TO_FIX


# --- placeholders -----------------------------------------------------------------------------

#: A printf-style conversion as Python's ``%`` operator reads it: ``%(stage)s``, ``%d``, ``%%``.
CONVERSION = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")


def conversions(text: str) -> Counter:
    return Counter(CONVERSION.findall(text))


def translated_entries(locale: str):
    for entry in catalog(locale):
        if entry.id and not entry.fuzzy:
            yield entry


@pytest.mark.parametrize("locale", CATALOGS)
def test_translations_keep_the_placeholders_exactly(locale):
    problems = []
    for entry in translated_entries(locale):
        # with one plural form, that form is printed for every n: it answers to the plural msgid
        source = entry.id[1] if entry.pluralizable else entry.id
        strings = entry.string if entry.pluralizable else (entry.string,)
        for string in filter(None, strings):
            # templates use Jinja's new-style gettext, which applies `%` to every string, so a
            # stray "%" breaks a page even where the msgid has no placeholder
            if conversions(string) != conversions(source) or string.count("%") != source.count("%"):
                problems.append(f"{source!r} -> {string!r}")
                continue
            sample = {name: 7 for name in re.findall(r"%\(([^)]*)\)", source)}
            try:
                string % sample if sample else string % ()
            except (TypeError, ValueError, KeyError) as error:
                problems.append(f"{source!r} -> {string!r}: {error}")
    assert not problems, "\n".join(problems)


def test_placeholder_check_catches_a_changed_or_lost_placeholder():
    assert conversions("Move “%(deal)s” to “%(stage)s”") != conversions("将“%(deal)s”移至“%(target)s”")
    assert conversions("%(num)d day in stage") != conversions("已在本阶段 %(num)s 天")
    assert conversions("Weighted (%(percent)s)") != conversions("加权金额")


#: Characters written differently in the two scripts (simplified, traditional), as they occur in
#: CRM wording; each catalog should use its own script throughout.
SCRIPT_PAIRS = [
    "这這", "个個", "为為", "单單", "输輸", "赢贏", "负負", "责責", "滞滯", "阶階", "机機", "关關",
    "开開", "请請", "选選", "择擇", "数數", "时時", "间間", "历歷", "记記", "录錄", "网網", "电電",
    "载載", "码碼", "户戶", "称稱", "态態", "详詳", "细細", "资資", "无無", "权權", "该該", "设設",
    "务務", "额額", "优優", "级級", "动動", "迁遷", "变變", "创創", "页頁", "导導", "览覽", "于於",
    "处處", "进進", "过過", "达達", "发發", "报報", "价價", "询詢", "项項", "标標", "题題", "备備",
    "让讓", "确確", "应應", "见見", "说說", "现現", "显顯", "状狀", "门門", "条條", "内內", "储儲",
    "后後", "销銷", "筛篩", "语語", "换換", "还還", "试試", "认認", "须須", "经經", "适適",
]


@pytest.mark.parametrize("locale, foreign", [("zh_Hans", 1), ("zh_Hant", 0)])
def test_each_catalog_is_written_in_its_own_script(locale, foreign):
    others = {pair[foreign] for pair in SCRIPT_PAIRS if len(pair) == 2}
    wrong = []
    for entry in translated_entries(locale):
        strings = entry.string if entry.pluralizable else (entry.string,)
        for string in strings:
            if stray := sorted(set(string) & others):
                wrong.append(f"{string!r}: {''.join(stray)}")
    assert not wrong, "\n".join(wrong)


# --- pages in Chinese -------------------------------------------------------------------------

SOLAR = {
    "id": "solar",
    "title": {"en": "Rooftop solar", "zh-Hans": "屋顶光伏"},  # no Traditional title on purpose
    "version": 1,
    "currency": "CNY",
    "fields": {
        "type": "object",
        "properties": {
            "customer": {"type": "string", "title": {"en": "Customer", "zh-Hans": "客户", "zh-Hant": "客戶"}},
            "panels": {"type": "integer", "title": {"en": "Number of panels", "zh-Hans": "组件数量"},
                       "minimum": 1},
            "amount": {"type": "number", "title": {"en": "Contract value", "zh-Hans": "合同金额",
                                                   "zh-Hant": "合約金額"}, "minimum": 0},
        },
        "required": ["customer"],
    },
    "stages": [
        {"id": "inquiry", "title": {"en": "Inquiry", "zh-Hans": "咨询", "zh-Hant": "諮詢"}, "kind": "open",
         "probability": 0.1, "rot_days": 2},
        {"id": "survey", "title": "Site survey", "kind": "open", "probability": 0.3},
        {"id": "offer", "title": {"en": "Offer sent", "zh-Hans": "已报价"}, "kind": "open",
         "probability": 0.6, "gate": {"required": ["panels", "amount"]}},
        {"id": "won", "title": {"en": "Installed", "zh-Hans": "已安装", "zh-Hant": "已安裝"}, "kind": "won",
         "probability": 1.0},
        {"id": "lost", "title": {"en": "Dropped", "zh-Hans": "已放弃", "zh-Hant": "已放棄"}, "kind": "lost",
         "probability": 0.0},
    ],
    "transitions": {"skip": True, "back": True},
    "lost_reasons": [{"id": "budget", "title": {"en": "No budget", "zh-Hans": "没有预算", "zh-Hant": "沒有預算"}}],
}


@pytest.fixture
def goldsieve_funnel(request):
    funnel = copy.deepcopy(SOLAR)
    funnel["currency"] = getattr(request, "param", funnel["currency"])
    return funnel


def speaking(browser, language: str):
    """Every request of this client sends ``Accept-Language: language``, the login's too."""
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return browser


def html(response, status: int = 200) -> str:
    assert response.status_code == status, response.status_code
    return response.get_data(as_text=True)


def absent(page: str, *texts: str) -> list[str]:
    return [text for text in texts if text not in page]


@pytest.fixture
def deal(goldsieve_engine, goldsieve_make_user):
    goldsieve_make_user("rita", "rep")
    return goldsieve_engine.create({"username": "rita", "role": "rep"}, "solar", "Müller family",
                                   {"customer": "Müller", "amount": 1234567})


ENGLISH_UI = ("New deal", "Owner", "Everyone", "Title contains", "Log out", "days in stage", "Stale",
              "Load more", "Weighted (")


def test_login_page_and_board_in_simplified_chinese(browser, deal, goldsieve_clock):
    speaking(browser, "zh-CN,zh;q=0.9,en;q=0.8")
    login = html(browser.get("/login"))
    assert 'lang="zh-Hans"' in login
    assert absent(login, "<title>登录 · goldsieve</title>", ">用户名</label>", ">密码</label>",
                  '<button type="submit" class="primary">登录</button>', ">切换语言<") == []
    refused = html(browser.login("rita", "not-the-password"), 401)
    assert "用户名或密码错误。" in refused

    assert browser.login("rita").status_code == 302
    goldsieve_clock.advance(days=3)
    board = html(browser.get("/board/solar"))
    assert absent(board, "<h1>屋顶光伏</h1>", ">新建商机</a>", ">负责人</label>", ">全部负责人</option>",
                  ">名称包含</label>", "<dt>商机数</dt>", "<dt>总额</dt>", "<dt>加权金额（10%）</dt>",
                  ">已在本阶段 3 天<", ">停滞</span>", ">移至…</option>", ">退出登录</button>",
                  ">咨询</h2>", ">Site survey</h2>", ">已报价</h2>") == []
    assert [text for text in ENGLISH_UI if text in board] == []


def test_login_page_and_board_in_traditional_chinese(browser, deal, goldsieve_clock):
    speaking(browser, "zh-TW,zh;q=0.9")
    login = html(browser.get("/login"))
    assert 'lang="zh-Hant"' in login
    assert absent(login, "<title>登入 · goldsieve</title>", ">使用者名稱</label>", ">密碼</label>") == []
    assert "使用者名稱或密碼錯誤。" in html(browser.login("rita", "not-the-password"), 401)

    assert browser.login("rita").status_code == 302
    goldsieve_clock.advance(days=1)
    board = html(browser.get("/board/solar"))
    assert absent(board, ">新增商機</a>", ">負責人</label>", ">全部負責人</option>", ">名稱包含</label>",
                  "<dt>商機數</dt>", "<dt>總額</dt>", "<dt>加權金額（10%）</dt>", ">已在本階段 1 天<",
                  ">登出</button>",
                  ">諮詢</h2>",  # the stage has a Traditional title
                  ">已报价</h2>",  # only a Simplified one: better than English for this reader
                  "<h1>屋顶光伏</h1>") == []
    assert [text for text in ENGLISH_UI + ("负责人", "新建商机", "阶段") if text in board] == []


@pytest.mark.parametrize("language, expected", [
    ("zh-CN", ["将“Müller family”移至“已报价”", "商机进入此阶段前，需要填写以下信息。", "组件数量",
               ">移动</button>", ">取消</a>"]),
    ("zh-Hant", ["將「Müller family」移至「已报价」", "商機進入此階段前，需要填寫下列資訊。", ">移動</button>"]),
])
def test_the_gate_dialog_speaks_the_page_language(browser, deal, language, expected):
    speaking(browser, language).login("rita")
    page = html(browser.get(f"/deals/{deal['id']}/move?to=offer"))
    assert absent(page, *expected) == []
    refused = html(browser.post(f"/deals/{deal['id']}/move",
                                {"to": "offer", "version": "1", "panels": "two", "amount": "5"}), 422)
    assert ("“two” 不是整数" if language == "zh-CN" else "“two” 不是整數") in refused
    same = html(browser.post(f"/deals/{deal['id']}/move", {"to": "inquiry", "version": "1"}), 422)
    assert ("该商机已处于“咨询”阶段。" if language == "zh-CN" else "此商機已在「諮詢」階段。") in same


def test_the_users_setting_beats_the_browser(browser, deal):
    speaking(browser, "zh-CN").login("rita")
    assert browser.post("/locale", {"locale": "zh_Hant", "next": "/"}).status_code == 302
    start = html(browser.get("/"))
    assert absent(start, "<h1>銷售漏斗</h1>", ">登出</button>", "版本 1") == []
    assert "销售漏斗" not in start


def test_english_stays_english(browser, deal):
    speaking(browser, "en-GB,en;q=0.9").login("rita")
    board = html(browser.get("/board/solar"))
    assert absent(board, "<h1>Rooftop solar</h1>", ">New deal</a>", "<dt>Weighted (10%)</dt>",
                  ">0 days in stage<", ">Inquiry</h2>") == []
    assert not re.search(r"[\u4e00-\u9fff]", board.replace("简体中文", "").replace("繁體中文", ""))


# --- numbers, money, dates --------------------------------------------------------------------


@pytest.mark.parametrize("goldsieve_funnel, language, amount", [
    ("CNY", "zh-CN", "¥1,234,567.00"),
    ("CNY", "zh-TW", "CN¥1,234,567.00"),
    ("CNY", "en-US", "CN¥1,234,567.00"),
    ("EUR", "en-US", "€1,234,567.00"),
    ("USD", "zh-CN", "US$1,234,567.00"),
    ("USD", "en-US", "$1,234,567.00"),
], indirect=["goldsieve_funnel"])
def test_amounts_in_the_funnels_currency_as_the_locale_writes_them(browser, deal, language, amount):
    speaking(browser, language).login("rita")
    page = html(browser.get(f"/deals/{deal['id']}"))
    assert f"<dd>{amount}</dd>" in page
    board = html(browser.get("/board/solar"))
    assert f'<span class="card-amount">{amount}</span>' in board
    assert f'<dd class="column-total">{amount}</dd>' in board


@pytest.mark.parametrize("language, locale, written", [
    ("zh-CN", "zh_Hans", "2026年1月5日 09:00:00"),
    ("zh-TW", "zh_Hant", "2026年1月5日 上午9:00:00"),
    ("en-US", "en", "Jan 5, 2026, 9:00:00\u202fAM"),
])
def test_history_dates_as_the_locale_writes_them(browser, deal, goldsieve_clock, language, locale, written):
    speaking(browser, language).login("rita")
    page = html(browser.get(f"/deals/{deal['id']}"))
    stamps = re.findall(r'<time datetime="[^"]+">([^<]+)</time>', page)
    assert stamps and set(stamps) == {written}
    assert written == format_datetime(goldsieve_clock.now, "medium", tzinfo=UTC, locale=locale)


@pytest.mark.parametrize("language, money, number", [
    ("zh-CN", "¥1,234.50", "1,234,567.891"),
    ("zh-HK", "CN¥1,234.50", "1,234,567.891"),
    ("en", "CN¥1,234.50", "1,234,567.891"),
])
def test_the_format_filters_follow_the_page_language(goldsieve_app, language, money, number):
    with goldsieve_app.test_request_context("/", headers={"Accept-Language": language}):
        assert i18n.money(1234.5, "CNY") == money
        assert i18n.money(True, "CNY") == "" and i18n.money("12", "CNY") == ""
        assert i18n.number(1234567.891) == number
        assert i18n.moment(None) == ""
        locale = i18n.normalize(language)
        assert i18n.money(1234.5, "CNY") == format_currency(1234.5, "CNY", locale=locale)


# --- funnel titles in the page's language -----------------------------------------------------

BOTH = {"en": "Quote", "zh-Hans": "报价", "zh-Hant": "報價"}


@pytest.mark.parametrize("language, title, expected", [
    ("zh-CN", BOTH, "报价"),
    ("zh-TW", BOTH, "報價"),
    ("zh-HK", BOTH, "報價"),
    ("en-US", BOTH, "Quote"),
    ("zh-TW", {"en": "Quote", "zh-Hans": "报价"}, "报价"),  # Chinese of the other script before English
    ("zh-CN", {"en": "Quote", "zh-Hant": "報價"}, "報價"),
    ("zh-CN", {"en": "Quote", "zh": "报价"}, "报价"),  # a bare language tag
    ("fr-FR", BOTH, "Quote"),  # a language the UI does not have: English
    ("de", {"zh-Hans": "报价", "en": "Quote"}, "Quote"),
    ("en", {"zh-Hans": "报价"}, "报价"),  # no English at all: whatever there is
    ("zh-CN", {"en": "Quote"}, "Quote"),
    ("zh-CN", "Quote", "Quote"),  # a plain string is the same in every language
    ("zh-CN", None, ""),
])
def test_funnel_titles_follow_the_page_language(goldsieve_app, language, title, expected):
    with goldsieve_app.test_request_context("/", headers={"Accept-Language": language}):
        assert i18n.text(title) == expected


@pytest.mark.parametrize("language, title", [
    ("zh-CN", "屋顶光伏"), ("zh-TW", "屋顶光伏"), ("fr", "Rooftop solar"), ("en", "Rooftop solar")])
def test_pages_show_the_funnel_title_in_the_page_language(browser, deal, language, title):
    speaking(browser, language).login("rita")
    assert f'<a href="/board/solar">{title}</a>' in html(browser.get("/"))
    assert f"<h1>{title}</h1>" in html(browser.get("/board/solar"))
    assert f'<a href="/board/solar">{title}</a>' in html(browser.get(f"/deals/{deal['id']}"))
