"""axe-core on every page and state, and focus where a keyboard user needs it, in Chromium.

Zero serious or critical findings is the bar; moderate and minor ones are left to review."""

import secrets

import pytest
from browser_helpers import open_chat, say, serious_axe_violations, shot, sign_in
from playwright.sync_api import expect

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}


def widget_focus(page) -> str:
    """The tag and class of what has focus inside the widget, '' when focus is outside it."""
    return page.evaluate("""() => {
        const host = document.querySelector('#candor-widget');
        const inner = document.activeElement === host ? host.shadowRoot.activeElement : null;
        return inner ? `${inner.tagName.toLowerCase()}.${inner.className || inner.id}` : '';
    }""")


def test_widget_closed_open_and_queued(page, stack, stack_settings):
    url = stack_settings.web_url
    page.goto(f"{url}/demo")
    expect(page.get_by_role("button", name="Chat with us")).to_be_visible()
    assert serious_axe_violations(page) == []                                   # closed

    open_chat(page, url)
    say(page, "how much does installation cost?")
    expect(page.locator("#candor-widget .message.bot").first).to_be_visible(timeout=30_000)
    assert serious_axe_violations(page) == []                                   # open, answered

    page.get_by_role("button", name="Talk to a person").last.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("queue", timeout=30_000)
    assert widget_focus(page) == "textarea.candor-input", "focus must move on to typing, not drop to the body"
    assert serious_axe_violations(page) == []                                   # queued
    shot(page, "a11y-widget-queued")

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Kestrel Fibre")).to_be_hidden()
    expect(page.get_by_role("button", name="Chat with us")).to_be_focused()


def test_widget_on_a_phone(browser, stack, stack_settings):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_chat(page, stack_settings.web_url)
        say(page, "what plans do you have?")
        expect(page.locator("#candor-widget .message.bot").first).to_be_visible(timeout=30_000)
        assert serious_axe_violations(page) == []
    finally:
        context.close()


def test_login_page(page, stack, stack_settings):
    page.goto(f"{stack_settings.web_url}/login")
    expect(page.get_by_label("Username")).to_be_visible()
    assert serious_axe_violations(page) == []
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert serious_axe_violations(page) == []                                   # with its error shown


def test_console_list_detail_and_resolve_dialog(page, stack_settings, customer, new_staff):
    assert customer.say("I need to talk to a real person")["status"] == "queued"
    sign_in(page, stack_settings.web_url, "/console", new_staff("ada", "agent"))
    entry = page.locator("#queued .item").first
    expect(entry).to_be_visible()
    assert serious_axe_violations(page) == []                                   # the list

    entry.get_by_role("button").click()
    expect(page.locator("#detail .transcript .message").first).to_be_visible()
    assert serious_axe_violations(page) == []                                   # a conversation
    page.keyboard.press("Alt+C")
    expect(page.locator("#detail .title")).to_contain_text("claimed")
    expect(page.get_by_label("Reply to the customer")).to_be_visible()
    assert serious_axe_violations(page) == []                                   # claimed: reply form

    reply = page.get_by_label("Reply to the customer")
    reply.focus()
    page.keyboard.press("Alt+R")
    dialog = page.get_by_role("dialog", name="Resolve this conversation")
    expect(dialog).to_be_visible()
    assert serious_axe_violations(page) == []                                   # the dialog
    for _ in range(8):  # Tab cycles inside the modal dialog, never out to the page behind
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('dialog')")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(reply).to_be_focused()                                                # focus is given back


def test_console_on_a_phone(browser, stack_settings, new_staff):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, stack_settings.web_url, "/console", new_staff("pia", "agent"))
        assert serious_axe_violations(page) == []
    finally:
        context.close()


def test_editor_and_dashboard(page, stack, stack_settings, new_staff):
    url = stack_settings.web_url
    sign_in(page, url, "/editor", new_staff("eda", "editor"))
    first = page.locator("#articles button").first
    expect(first).to_be_visible()
    assert serious_axe_violations(page) == []                                   # the list
    first.click()
    expect(page.get_by_label("Title")).not_to_have_value("")
    assert serious_axe_violations(page) == []                                   # an article open, with its preview

    page.goto(f"{url}/dashboard")
    expect(page.locator(".kpi").first).to_be_visible()
    for table in ("#csat-agents", "#csat-teams", "#csat-articles"):                # CSAT, rows or "No ratings"
        expect(page.locator(f"{table} th").nth(1)).to_have_text("CSAT (rated 4–5)")
        expect(page.locator(f"{table} tbody tr").first).to_be_visible()
    expect(page.locator("#sla th").nth(1)).to_have_text("SLAs met")
    assert serious_axe_violations(page) == []


def test_staff_page_and_its_dialog(page, stack, stack_settings, new_staff):
    sign_in(page, stack_settings.web_url, "/staff", new_staff("ida", "admin"))
    expect(page.locator("#accounts tbody tr").first).to_be_visible()
    assert serious_axe_violations(page) == []
    name = f"sam-{secrets.token_hex(3)}"
    form = page.locator("#add-staff")
    form.get_by_label("Username").fill(name)
    form.get_by_label("Name customers see").fill("Sam")
    form.get_by_label("Password").fill("short")
    form.get_by_label("Teams").fill("support")
    form.get_by_label("Password").press("Enter")
    assert page.evaluate("document.querySelector('#new-password').validity.valid") is False  # the browser asks first
    form.get_by_label("Password").fill("a long enough password")
    form.get_by_role("button", name="Add account").click()
    expect(page.get_by_role("status")).to_contain_text("customers see “Sam (Support)”")
    change = page.get_by_role("button", name=f"Change {name}")
    change.click()
    dialog = page.get_by_role("dialog", name=f"Change {name}")
    expect(dialog).to_be_visible()
    assert serious_axe_violations(page) == []
    dialog.get_by_label("Role").select_option("editor")
    dialog.get_by_label("Disabled (cannot sign in)").check()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name=f"Change {name}")).to_be_focused()
    row = page.locator("#accounts tr").filter(has_text=name)
    expect(row).to_contain_text("Editor")
    expect(row).to_contain_text("Disabled")
    audit = page.locator("#audit")
    expect(audit).to_contain_text("disabled a staff account")
    expect(audit).to_contain_text("role: agent → editor")
    assert serious_axe_violations(page) == []
