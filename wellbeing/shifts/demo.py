"""The demo's iCalendar feed: one team's published schedule, imported as the feed refresh would import it."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from wellbeing.shifts.feeds import import_calendar


def demo_calendar(emails: list[str], now: datetime) -> bytes:
    """A WFM-style export: weekday shifts 09:00-18:00 Shanghai time (RRULE) for the team, each with a morning
    break and lunch, a Wednesday team meeting, and next Monday off for everyone (EXDATE)."""
    monday = (now - timedelta(days=now.weekday())).strftime("%Y%m%d")
    next_monday = (now - timedelta(days=now.weekday()) + timedelta(days=7)).strftime("%Y%m%d")
    attendees = "".join(f"ATTENDEE;CN=Agent;ROLE=REQ-PARTICIPANT:mailto:{email}\r\n" for email in emails)

    def event(uid: str, summary: str, start: str, end: str, extra: str = "") -> str:
        return (f"BEGIN:VEVENT\r\nUID:{uid}@wfm.demo.example\r\nDTSTAMP:{monday}T000000Z\r\nSUMMARY:{summary}\r\n"
                f"DTSTART;TZID=Asia/Shanghai:{monday}T{start}\r\nDTEND;TZID=Asia/Shanghai:{monday}T{end}\r\n"
                f"{extra}{attendees}END:VEVENT\r\n")

    weekdays = "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\r\n"
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Demo WFM//Schedule export//EN\r\nMETHOD:PUBLISH\r\n"
            "BEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
            "TZOFFSETFROM:+0800\r\nTZOFFSETTO:+0800\r\nTZNAME:CST\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
            + event("shift", "Escalations queue", "090000", "180000",
                    weekdays + f"EXDATE;TZID=Asia/Shanghai:{next_monday}T090000\r\n")
            + event("break", "Break", "103000", "104500", weekdays)
            + event("lunch", "Lunch", "120000", "130000", weekdays)
            + event("meeting", "Team meeting", "160000", "170000", "RRULE:FREQ=WEEKLY;BYDAY=WE\r\n")
            + "END:VCALENDAR\r\n")
    return text.encode()


def seed_demo_shifts(session: Session, org_id: str, emails: list[str], now: datetime) -> int:
    """Import the team's calendar (the agents' prompts are replanned around it); returns the agents imported."""
    return import_calendar(session, org_id, None, demo_calendar(emails, now), now)
