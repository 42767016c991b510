"""One real stack (Rasa, action server, web app, SQLite) shared by every integration test."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

# Shared with `candor eval --through-bot`, which starts its stack the same way.
from candor.eval_bot import always_open_policy
from candor.ports import free_port


@pytest.fixture
def port():
    """Call it for a free loopback port."""
    return free_port


@pytest.fixture(scope="session")
def stack_settings(database):
    """The stack gets a database of its own, so unit tests keep an empty one."""
    from candor.settings import Settings, get_settings

    var = get_settings().var_dir / "stack"
    return Settings(
        var_dir=var, database_url=f"sqlite:///{var / 'candor.db'}", policy_file=always_open_policy(var),
        rasa_port=free_port(), actions_port=free_port(), web_port=free_port(),
        rasa_token=secrets.token_urlsafe(16),
        # Every test customer comes from 127.0.0.1; the limits themselves are tested in tests/web.
        rate_limit_ip="100000/minute", rate_limit_conversation="100000/minute", rate_limit_login="100000/minute",
    )


@contextmanager
def running_stack(settings, model: Path, timeout_s: float) -> Iterator:
    """Database prepared, every process started and healthy; all stopped at the end."""
    from candor.bootstrap import prepare_database
    from candor.supervisor import Stack

    prepare_database(settings)
    running = Stack(settings, model, echo=lambda _msg: None)
    running.start()
    try:
        running.wait_healthy(timeout_s=timeout_s)
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def stack(stack_settings, rasa_model):
    with running_stack(stack_settings, rasa_model, timeout_s=300) as running:
        yield running


@pytest.fixture
def api(stack, stack_settings):
    with httpx.Client(base_url=stack_settings.web_url, timeout=30) as client:
        yield client


class Customer:
    """A customer holding one conversation through the public API."""

    def __init__(self, api: httpx.Client) -> None:
        self.api = api
        created = api.post("/api/conversations")
        assert created.status_code == 201, created.text
        self.id = created.json()["id"]
        self.headers = {"Authorization": f"Bearer {created.json()['token']}"}

    def say(self, text: str) -> dict:
        response = self.api.post(f"/api/conversations/{self.id}/messages", json={"text": text},
                                 headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    def transcript(self) -> dict:
        response = self.api.get(f"/api/conversations/{self.id}", headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def customer(api) -> Customer:
    return Customer(api)


@pytest.fixture
def new_customer(api):
    """For tests that need more than one customer."""
    return lambda: Customer(api)


@pytest.fixture(scope="session")
def agents(stack, stack_settings):
    """Two agents and an editor in the stack's database; returns their bearer headers."""
    from candor.db import session_scope
    from routing.staff import add_user

    suffix = secrets.token_hex(3)
    names = {"ana": ("agent", []), "ben": ("agent", []), "eve": ("editor", []), "tim": ("agent", ["technical"])}
    with session_scope(stack_settings.database_url) as session:
        for name, (role, teams) in names.items():
            add_user(session, f"{name}-{suffix}", "correct horse battery", role, teams)
    import httpx

    headers = {}
    with httpx.Client(base_url=stack_settings.web_url, timeout=30) as client:
        for name in names:
            response = client.post("/api/auth/login", json={"username": f"{name}-{suffix}",
                                                            "password": "correct horse battery"})
            assert response.status_code == 200, response.text
            headers[name] = {"Authorization": f"Bearer {response.json()['token']}"}
        wrong = client.post("/api/auth/login", json={"username": f"ana-{suffix}", "password": "nope"})
        assert wrong.status_code == 401 and "Wrong username or password" in wrong.json()["detail"]
    return headers


@pytest.fixture(scope="session")
def new_staff(stack, stack_settings):
    """Adds a staff account to the stack's database; returns (username, password) for signing in."""
    from candor.db import session_scope
    from routing.staff import add_user

    def make(name: str, role: str) -> tuple[str, str]:
        login = (f"{name}-{secrets.token_hex(3)}", "correct horse battery")
        with session_scope(stack_settings.database_url) as session:
            add_user(session, login[0], login[1], role)
        return login

    return make


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def page(browser):
    """A fresh browser context (empty local storage) that fails the test if any script dialog opens."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1200, "height": 850})
    page = context.new_page()
    page.dialogs = []
    page.artifacts = ARTIFACTS  # screenshots go here (ignored by git)
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


# Well-known XSS payloads (OWASP filter-evasion cheat sheet and PortSwigger's list, shortened).
# Each tries to set window.__xss or open a dialog; neither may happen.
XSS_PAYLOADS = [
    "<script>window.__xss=1</script>",
    "<img src=x onerror=window.__xss=1>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=window.__xss=1>",
    "<svg><script>window.__xss=1</script></svg>",
    "<body onload=window.__xss=1>",
    "<iframe src=javascript:window.parent.__xss=1>",
    "<iframe srcdoc='<script>parent.__xss=1</script>'>",
    "\"><script>window.__xss=1</script>",
    "'><img src=x onerror=window.__xss=1>",
    "<a href=javascript:window.__xss=1>click</a>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
    "<details open ontoggle=window.__xss=1>",
    "<input autofocus onfocus=window.__xss=1>",
    "<video><source onerror=window.__xss=1></video>",
    "<audio src=x onerror=window.__xss=1>",
    "<marquee onstart=window.__xss=1>",
    "<object data=javascript:window.__xss=1>",
    "<embed src=javascript:window.__xss=1>",
    "<form><button formaction=javascript:window.__xss=1>go</button></form>",
    "<isindex type=image src=1 onerror=window.__xss=1>",
    "<img src=\"x\" onerror=\"&#119;indow.__xss=1\">",
    "<scr<script>ipt>window.__xss=1</scr</script>ipt>",
    "<IMG SRC=JaVaScRiPt:window.__xss=1>",
    "<div style=\"background:url(javascript:window.__xss=1)\">",
    "<meta http-equiv=refresh content='0;url=javascript:window.__xss=1'>",
    "<link rel=import href=data:text/html,<script>window.__xss=1</script>>",
    "javascript:/*--></title></style></textarea></script><svg/onload=window.__xss=1>",
    "{{constructor.constructor('window.__xss=1')()}}",
    "<noscript><p title=\"</noscript><img src=x onerror=window.__xss=1>\">",
    "<select autofocus onfocus=window.__xss=1>",
    "<textarea autofocus onfocus=window.__xss=1>",
]


@pytest.fixture(scope="session")
def xss_payloads() -> list[str]:
    return XSS_PAYLOADS
