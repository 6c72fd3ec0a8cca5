"""Account mail: composed in the recipient's language, sent by the scheduler job through a real SMTP server,
kept through an outage and delivered exactly once."""
from __future__ import annotations

import logging
import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from api.config import Config, ConfigError
from api.org.mail import send_account_mail
from tests.conftest import now_utc
from tests.org.accounts_helpers import LINK
from wellbeing.core.crypto import generate_key
from wellbeing.core.db import db
from wellbeing.models import OutgoingMail
from wellbeing.org import mail


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """A real SMTP server on a fixed local port that a test can stop and start again."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app):
    server = SmtpServer()
    server.start()
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{server.port}"
    yield server
    app.config["MAIL_URL"] = None
    server.stop()


def _run_job(app, now):
    with app.app_context():
        try:
            return send_account_mail(db.session, now)
        finally:
            db.session.remove()


def _invite(world, email="new@a.test", locale="en"):
    response = world.client.post("/api/v1/users", headers=world.as_("admin"),
                                 json={"email": email, "name": "Wang Fang", "role": "agent", "locale": locale})
    assert response.status_code == 201, response.json


def test_an_invitation_arrives_by_smtp_in_the_recipients_language(app, world, session, smtp):
    _invite(world, locale="zh-CN")
    assert _run_job(app, now_utc()) == {"sent": 1, "retrying": 0}
    [(recipients, message)] = smtp.inbox.messages
    assert recipients == ["new@a.test"] and message["To"] == "new@a.test"
    assert message["From"] == app.config["MAIL_FROM"] and message["Subject"] == "邀请您使用 Wellbeing"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    [(link, page, token)] = [m.groups() for m in LINK.finditer(text)]
    assert page == "accept-invitation" and token in html and "您好" in text
    # Once sent, the outbox keeps no copy of the link.
    stored = session.scalar(select(OutgoingMail))
    assert stored.sent_at is not None and stored.text_body == "" and stored.html_body == ""
    accepted = world.client.post("/api/v1/auth/invitations/accept", json={"token": token, "new_password": "my own passphrase"})
    assert accepted.status_code == 200


def test_a_message_survives_an_smtp_outage_and_arrives_exactly_once(app, world, session, smtp):
    smtp.stop()
    assert world.client.post("/api/v1/auth/password-reset", json={"email": "agent@a.test"}).status_code == 202
    start = now_utc()
    assert _run_job(app, start) == {"sent": 0, "retrying": 1}
    row = session.scalar(select(OutgoingMail))
    assert row.sent_at is None and row.attempts == 1 and row.last_error
    assert row.next_attempt_at == start + timedelta(seconds=30)
    assert _run_job(app, start + timedelta(seconds=10)) == {"sent": 0, "retrying": 0}  # backing off
    assert _run_job(app, start + timedelta(seconds=31)) == {"sent": 0, "retrying": 1}
    assert session.scalar(select(OutgoingMail)).next_attempt_at == start + timedelta(seconds=91)  # 60 s more
    smtp.start()
    assert _run_job(app, start + timedelta(seconds=92)) == {"sent": 1, "retrying": 0}
    assert _run_job(app, start + timedelta(hours=2)) == {"sent": 0, "retrying": 0}
    assert len(smtp.inbox.messages) == 1
    assert smtp.inbox.messages[0][1]["Subject"] == "Reset your Wellbeing password"


def test_a_sent_message_is_not_sent_again(app, world, smtp):
    _invite(world)
    _invite(world, email="second@a.test")
    now = now_utc()
    assert _run_job(app, now) == {"sent": 2, "retrying": 0}
    assert _run_job(app, now + timedelta(days=1)) == {"sent": 0, "retrying": 0}
    assert sorted(r[0][0] for r in smtp.inbox.messages) == ["new@a.test", "second@a.test"]


def test_nothing_is_mailed_before_the_request_commits(app, world, session, smtp):
    response = world.client.post("/api/v1/users", headers=world.as_("admin"),
                                 json={"email": "admin@b.test", "name": "Taken", "role": "agent"})
    assert response.status_code == 409
    assert session.scalars(select(OutgoingMail)).all() == []
    assert _run_job(app, now_utc()) == {"sent": 0, "retrying": 0} and smtp.inbox.messages == []


def test_backoff_doubles_up_to_an_hour():
    assert [mail.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert mail.backoff(20) == timedelta(hours=1)


def test_the_development_log_shows_the_link_and_production_never_does(caplog):
    row = OutgoingMail(id="m1", recipient="a@b.test", subject="S", text_body="link https://x/console/reset-password?token=SECRET",
                       html_body="<p>SECRET</p>")
    with caplog.at_level(logging.INFO, logger="wellbeing.mail"):
        mail.log_sender(show_links=True)(mail.as_message(row, "from@x"))
        assert "SECRET" in caplog.text
        caplog.clear()
        mail.log_sender(show_links=False)(mail.as_message(row, "from@x"))
        assert "SECRET" not in caplog.text and "a@b.test" in caplog.text


def test_mail_urls_are_checked():
    for good in ("smtp://localhost:2525", "smtps://user:pa%40ss@mail.example:465", "smtp+starttls://mail.example"):
        assert callable(mail.smtp_sender(good))
    for bad in ("http://mail.example", "smtp://", "mail.example:25"):
        with pytest.raises(ValueError):
            mail.smtp_sender(bad)


def test_production_needs_mail_or_an_explicit_opt_out(tmp_path):
    env = {"WELLBEING_ENV": "production", "SECRET_KEY": "s" * 48, "JWT_SECRET_KEY": "j" * 32, "DATA_KEYS": generate_key("p"),
           "DATABASE_URL": "sqlite://", "INSTANCE_PATH": str(tmp_path)}
    with pytest.raises(ConfigError, match="MAIL_URL"):
        Config(env)
    assert Config({**env, "MAIL_DISABLED": "1"}).MAIL_DISABLED is True
    assert Config({**env, "MAIL_URL": "smtp://mail.example:25"}).MAIL_URL == "smtp://mail.example:25"


def test_without_mail_a_new_user_needs_a_temporary_password(app, world, session):
    app.config["MAIL_DISABLED"] = True
    try:
        response = world.client.post("/api/v1/users", headers=world.as_("admin"),
                                     json={"email": "new@a.test", "name": "N", "role": "agent"})
        reset = world.client.post("/api/v1/auth/password-reset", json={"email": "agent@a.test"})
    finally:
        app.config["MAIL_DISABLED"] = False
    assert response.status_code == 422 and response.json["code"] == "password_required"
    assert reset.status_code == 202
    assert session.scalars(select(OutgoingMail)).all() == []
