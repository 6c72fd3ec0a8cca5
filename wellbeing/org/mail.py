"""Account e-mail: messages in the recipient's language, an outbox written with the decision to send, and its drain."""
from __future__ import annotations

import html
import logging
import smtplib
import ssl
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from wellbeing.models import OutgoingMail

log = logging.getLogger("wellbeing.mail")

MAX_BACKOFF = timedelta(hours=1)
BATCH = 50

MESSAGES = {
    "invitation": {
        "en": ("You are invited to Wellbeing",
               "Hello {name},\n\nAn account was created for you. Choose your password here (the link works once, "
               "for 7 days):\n\n{link}\n\nIf you did not expect this, ignore this message."),
        "zh-CN": ("邀请您使用 Wellbeing",
                  "{name}，您好：\n\n我们为您创建了账户。请通过以下链接设置密码（仅可使用一次，7 天内有效）：\n\n{link}\n\n"
                  "如果您没有预期收到此邮件，请忽略。"),
    },
    "reset": {
        "en": ("Reset your Wellbeing password",
               "Hello {name},\n\nSomeone asked to reset your password. Choose a new one here (the link works once, "
               "for 30 minutes):\n\n{link}\n\nIf it was not you, ignore this message; your password stays as it is."),
        "zh-CN": ("重置您的 Wellbeing 密码",
                  "{name}，您好：\n\n有人请求重置您的密码。请通过以下链接设置新密码（仅可使用一次，30 分钟内有效）：\n\n{link}\n\n"
                  "如果不是您本人操作，请忽略此邮件，您的密码不会改变。"),
    },
}


def compose(kind: str, locale: str, name: str, link: str) -> tuple[str, str, str]:
    """Subject, plain text and HTML of an account message in the recipient's locale (English otherwise)."""
    subject, template = MESSAGES[kind].get(locale) or MESSAGES[kind]["en"]
    text = template.format(name=name, link=link)
    paragraphs = template.format(name=html.escape(name), link=f'<a href="{html.escape(link)}">{html.escape(link)}</a>')
    body = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs.split("\n\n"))
    return subject, text, f'<!doctype html><html lang="{locale}"><body>{body}</body></html>'


def enqueue(session: Session, recipient: str, kind: str, locale: str, name: str, link: str, now: datetime) -> OutgoingMail:
    """Put a message in the outbox, in the caller's transaction: it is sent only if that work commits."""
    subject, text, html_body = compose(kind, locale, name, link)
    mail = OutgoingMail(recipient=recipient, subject=subject, text_body=text, html_body=html_body,
                        created_at=now, next_attempt_at=now)
    session.add(mail)
    return mail


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 30 s doubling, at most an hour."""
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


Sender = Callable[[EmailMessage], None]


def as_message(mail: OutgoingMail, sender_address: str) -> EmailMessage:
    """The outbox row as a MIME message (plain text with an HTML alternative)."""
    message = EmailMessage()
    message["From"] = sender_address
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Message-ID"] = f"<{mail.id}@wellbeing>"
    message.set_content(mail.text_body)
    message.add_alternative(mail.html_body, subtype="html")
    return message


def drain_outbox(session: Session, send: Sender, sender_address: str, now: datetime) -> dict[str, int]:
    """Send what is due; a failure waits with back-off. At least once: a crash between send and commit resends."""
    due = list(session.scalars(select(OutgoingMail).where(OutgoingMail.sent_at.is_(None),
                                                          OutgoingMail.next_attempt_at <= now)
                               .order_by(OutgoingMail.next_attempt_at).limit(BATCH)))
    counts = {"sent": 0, "retrying": 0}
    for mail in due:
        # Claim the row first, so a second scheduler working at the same time skips it.
        claimed = session.execute(update(OutgoingMail).where(OutgoingMail.id == mail.id, OutgoingMail.sent_at.is_(None),
                                                             OutgoingMail.attempts == mail.attempts)
                                  .values(attempts=mail.attempts + 1,
                                          next_attempt_at=now + backoff(mail.attempts + 1))).rowcount
        session.commit()
        if claimed != 1:
            continue
        session.refresh(mail)
        try:
            send(as_message(mail, sender_address))
        except (OSError, smtplib.SMTPException) as error:
            mail.last_error = type(error).__name__
            counts["retrying"] += 1
            log.warning("mail %s not sent (attempt %d): %s", mail.id, mail.attempts, type(error).__name__)
        else:
            mail.sent_at, mail.text_body, mail.html_body, mail.last_error = now, "", "", None
            counts["sent"] += 1
        session.commit()
    return counts


def smtp_sender(url: str, timeout: float = 10.0) -> Sender:
    """A sender for ``smtp://host:port``, ``smtps://user:pass@host:465`` or ``smtp+starttls://...``."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
        raise ValueError("MAIL_URL must be smtp://, smtps:// or smtp+starttls://host[:port]")
    port = parts.port or {"smtp": 25, "smtps": 465, "smtp+starttls": 587}[parts.scheme]

    def send(message: EmailMessage) -> None:
        if parts.scheme == "smtps":
            client = smtplib.SMTP_SSL(parts.hostname, port, timeout=timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(parts.hostname, port, timeout=timeout)
        with client:
            if parts.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)

    return send


def log_sender(show_links: bool) -> Sender:
    """Development without MAIL_URL: the message goes to the log (its body, with the link, only when allowed)."""

    def send(message: EmailMessage) -> None:
        body = message.get_body(("plain",)).get_content() if show_links else "(body withheld)"
        log.info("mail to %s: %s\n%s", message["To"], message["Subject"], body)

    return send
