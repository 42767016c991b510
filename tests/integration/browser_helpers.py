"""What the browser tests do again and again: open the widget, type into it, sign staff in."""

import re
import time

from playwright.sync_api import expect


def shot(page, name: str) -> None:
    page.screenshot(path=str(page.artifacts / f"{name}.png"), full_page=False)


def open_chat(page, url: str) -> None:
    page.goto(f"{url}/demo")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.get_by_role("dialog", name="Kestrel Fibre")).to_be_visible()


def say(page, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def conversation_id(page) -> str:
    stored = page.evaluate("Object.entries(localStorage).find(([k]) => k.startsWith('candor.conversation'))[1]")
    return re.search(r'"id":"([^"]+)"', stored).group(1)


def sign_in(page, url: str, path: str, who: tuple[str, str]) -> None:
    """Open a staff page signed out, get sent to sign in, and come back to it."""
    page.goto(f"{url}{path}")
    expect(page).to_have_url(f"{url}/login?next=%2F{path.lstrip('/')}")
    page.wait_for_load_state("load")   # the sign-in script is there before the form is used
    page.get_by_label("Username").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{url}{path}")
    expect(page.locator(".who")).to_contain_text(who[0])


def axe_violations(page, selector: str = "#candor-widget") -> list[str]:
    """What axe-core (WCAG A/AA and best practice) finds wrong inside ``selector``, one line per rule."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, context=selector).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']]}" for v in found]


def serious_axe_violations(page, selector: str | None = None) -> list[str]:
    """The serious and critical axe-core findings on the whole page (or inside ``selector``).

    axe-core is the copy bundled with the axe-playwright-python test dependency, injected into
    the page by the test: nothing is fetched while the test runs."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, context=selector).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} {[node['target'] for node in v['nodes']]}"
            for v in found if v["impact"] in ("serious", "critical")]


def expect_inside(page, inner, outer, timeout_ms: int = 5000) -> None:
    """Wait until ``inner``'s box lies wholly inside ``outer``'s visible box (scrolled into view)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        a, b = inner.bounding_box(), outer.bounding_box()
        if a and b and (b["x"] - 1 <= a["x"] and a["x"] + a["width"] <= b["x"] + b["width"] + 1
                        and b["y"] - 1 <= a["y"] and a["y"] + a["height"] <= b["y"] + b["height"] + 1):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{a} is not inside {b}")
        page.wait_for_timeout(50)
