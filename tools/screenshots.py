"""Save the main pages of the web app as PNGs under docs/screenshots/ (``make screenshots``).

A demo workspace is built in a temporary folder and served by the production server (waitress,
in this process), exactly as the browser tests do; Debian's Chromium takes the pictures through
Playwright: a rep's pages, then a manager's analytics, forecast, stage advice and digest,
and the administrator's funnel designer and user list. Each page is saved at desktop (1280×800) and phone (390×844) size, in English and in
Simplified Chinese (the browser's Accept-Language), as ``<page>-<desktop|phone>-<en|zh>.png``,
viewport only, to keep the files small.

Chinese needs a CJK font on the machine (Debian: ``fonts-wqy-microhei`` or ``fonts-noto-cjk``);
without one Chromium draws empty boxes, and this script says so.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import (
    LiveServer,
    build_demo,
    launch_chromium,
    login,
    new_page,
    settle,
)

LANGUAGES = {"en": "en-US", "zh": "zh-CN"}
FORMS = ("desktop", "phone")
USER = "rep.li"
#: Pages only other roles see, after the rep's: (user, [(picture name, path)]).
LATER = (
    ("mgr.zhao", [("analytics", "/analytics/software"), ("forecast", "/analytics/software/forecast"),
                  ("advice", "/analytics/software/advice"), ("activities", "/analytics/software/activities"),
                  ("digest", "/digest")]),
    ("admin", [("designer", "/designer/"), ("admin-users", "/admin/users")]),
)


def pick_deal(live: LiveServer) -> int:
    """An open deal well down the funnel, so its page has a history worth showing."""
    for stage in ("negotiation", "quote", "demo", "qualified"):
        status, body = live.api("GET", f"/api/v1/deals?funnel=software&stage={stage}&limit=1",
                                user=USER)
        if status == 200 and body["items"]:
            return body["items"][0]["id"]
    raise SystemExit("the demo workspace has no open deal past the first stage")


def shoot(browser, live: LiveServer, out: Path, form: str, language: str, deal_id: int) -> list[str]:
    page, guard = new_page(browser, live.url, form, LANGUAGES[language])

    def save(name: str) -> None:
        settle(page)
        path = out / f"{name}-{form}-{language}.png"
        page.screenshot(path=str(path), animations="disabled", caret="hide")
        print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
              f"  {path.stat().st_size // 1024} KiB")

    try:
        page.goto("/login")
        save("login")
        login(page, USER)
        page.goto("/board/software")
        save("board")
        card = page.locator('[data-stage="lead"] [data-deal-id]').first
        card.locator("select[name=to]").select_option("qualified")
        card.locator("form.card-move button").click()
        page.locator("dialog#dialog[open]").wait_for()
        save("gate-dialog")
        page.keyboard.press("Escape")
        page.goto(f"/deals/{deal_id}")
        save("deal")
        page.goto("/deals/new?funnel=software")
        save("new-deal")
        for user, pages in LATER:
            page.context.clear_cookies()
            login(page, user)
            for name, path in pages:
                page.goto(path)
                save(name)
    finally:
        page.context.close()
    return [f"{form}/{language}: {problem}" for problem in guard.problems()]


def has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return True  # cannot tell; let the pictures speak
    found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                           check=False)
    return bool(found.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--deals", type=int, default=300, help="deals in the demo workspace")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)

    chromium = shutil.which("chromium")
    if chromium is None:
        print("screenshots: Debian's `chromium` is not installed (apt-get install chromium)",
              file=sys.stderr)
        return 1
    if not has_cjk_font():
        print("screenshots: warning: no Chinese font (apt-get install fonts-wqy-microhei); "
              "the zh pictures will show empty boxes", file=sys.stderr)
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="goldsieve-screens-") as tmp:
        folder = build_demo(Path(tmp) / "demo", deals=args.deals, seed=args.seed)
        with LiveServer(folder) as live, sync_playwright() as playwright:
            deal_id = pick_deal(live)
            browser = launch_chromium(playwright, chromium)
            try:
                for language in LANGUAGES:
                    for form in FORMS:
                        problems += shoot(browser, live, args.out, form, language, deal_id)
            finally:
                browser.close()
    for problem in problems:
        print(f"screenshots: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
