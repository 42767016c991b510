"""What the browser tests do again and again: open the widget, type into it, sign staff in."""

import re

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
    page.get_by_label("Username").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{url}{path}")
    expect(page.locator(".who")).to_contain_text(who[0])
