"""Reminder texts in the recipient's language, with times in the recipient's own time zone."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

TEXTS = {
    "en": {
        "agent_accepted": "Reminder: your counseling session is on {when} ({zone}), {mode}{where}.",
        "agent_proposed": ("A counseling session is proposed for {when} ({zone}), {mode}{where}. "
                           "Please accept, decline or ask to reschedule."),
        "counselor_accepted": "Reminder: counseling session with {agent} on {when} ({zone}), {mode}{where}.",
        "counselor_proposed": ("Reminder: the counseling session you proposed to {agent} for {when} ({zone}) "
                               "is not accepted yet."),
        "follow_up": "Follow-up due on {day} for the counseling case of {agent}.",
        "where": ", at {location}",
    },
    "zh-CN": {
        "agent_accepted": "提醒：您的心理辅导预约在 {when}（{zone}），方式：{mode}{where}。",
        "agent_proposed": "已为您提议一次心理辅导：{when}（{zone}），方式：{mode}{where}。请接受、拒绝或申请改期。",
        "counselor_accepted": "提醒：您与 {agent} 的心理辅导在 {when}（{zone}），方式：{mode}{where}。",
        "counselor_proposed": "提醒：您向 {agent} 提议的 {when}（{zone}）心理辅导尚未被接受。",
        "follow_up": "{day} 是 {agent} 的心理辅导跟进日。",
        "where": "，地点：{location}",
    },
}
MODES = {
    "en": {"in_person": "in person", "phone": "by phone", "video": "by video call"},
    "zh-CN": {"in_person": "面谈", "phone": "电话", "video": "视频"},
}


def local_clock(at: datetime, zone: str) -> str:
    """``2026-03-03 15:00`` in the given IANA zone."""
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def appointment_text(locale: str, role: str, state: str, starts_at: datetime, zone: str, mode: str,
                     location: str | None, agent_name: str) -> str:
    """The 24-hour or 1-hour reminder for the agent (``role="agent"``) or the counselor."""
    lang = locale if locale in TEXTS else "en"
    key = f"{role}_{'accepted' if state == 'accepted' else 'proposed'}"
    where = TEXTS[lang]["where"].format(location=location) if location else ""
    return TEXTS[lang][key].format(when=local_clock(starts_at, zone), zone=zone, mode=MODES[lang][mode],
                                   where=where, agent=agent_name)


def follow_up_text(locale: str, day: date, agent_name: str) -> str:
    """The nudge to HR on the day a follow-up is due."""
    return TEXTS.get(locale, TEXTS["en"])["follow_up"].format(day=day.isoformat(), agent=agent_name)
