"""Fixtures shared by the web app's tests."""

import pytest


@pytest.fixture(scope="module")
def base_url(database):
    """The real app served by uvicorn on loopback with Rasa down (web_helpers.offline_app), its login and
    per-address limits out of the way of a test that signs in and clicks a lot. A module that needs other
    settings defines its own."""
    from test_live import serving
    from web_helpers import offline_app

    with serving(offline_app(rate_limit_login="100000/minute", rate_limit_ip="100000/minute")) as url:
        yield url


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free loopback port: its Inbox (test_mail.py) and the port."""
    from aiosmtpd.controller import Controller
    from test_mail import Inbox, free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()
