"""Account mail from the app's settings: where links point, and the scheduler job that drains the outbox."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from wellbeing.org import mail


def link_base() -> str | None:
    """The base URL of mailed links, or None in an organization without e-mail (MAIL_DISABLED)."""
    return None if current_app.config["MAIL_DISABLED"] else current_app.config["PUBLIC_BASE_URL"]


def send_account_mail(session: Session, now: datetime) -> dict[str, int]:
    """The scheduler job: send due outbox messages by SMTP (MAIL_URL) or, in development, to the log."""
    config = current_app.config
    if config["MAIL_URL"]:
        sender = mail.smtp_sender(config["MAIL_URL"])
    else:
        # Only development gets here (production requires MAIL_URL or MAIL_DISABLED); links never reach a production log.
        sender = mail.log_sender(show_links=config["ENV"] != "production")
    return mail.drain_outbox(session, sender, config["MAIL_FROM"], now)
