"""The support block an agent sees when a questionnaire result raises an alert: help lines and a self-referral offer."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from wellbeing.core.language import resolve_language

# Calm, non-diagnostic wording; it promises only what holds: the answers stay with the agent unless they act.
MESSAGES = {
    "signpost": {
        "en": "Thank you for answering. Some of your answers suggest you are carrying a lot at the moment. "
              "You do not have to handle it alone: the people below can help, and you can ask for a confidential "
              "conversation with a counselor. Your answers stay private unless you choose to refer yourself.",
        "zh-CN": "感谢您的作答。您的部分回答显示您最近承受了不少压力。您不必独自面对：以下资源可以为您提供帮助，"
                 "您也可以申请与心理咨询师进行保密谈话。除非您主动申请转介，您的回答将始终保密。",
    },
    "crisis": {
        "en": "Thank you for answering. If you are in danger or might harm yourself, call your local emergency number "
              "now (in mainland China 120 or 110) or one of the help lines below. You can also ask for a counselor "
              "to contact you.",
        "zh-CN": "感谢您的作答。如果您正处于危险之中或可能伤害自己，请立即拨打当地急救电话（中国大陆：120 或 110）"
                 "或以下任一求助热线。您也可以申请由心理咨询师与您联系。",
    },
}
SELF_REFERRAL = {
    "name": {"en": "Talk to a counselor", "zh-CN": "预约心理咨询"},
    "description": {
        "en": "Refer yourself for a confidential counseling conversation; HR arranges it with you.",
        "zh-CN": "自主申请保密的心理咨询谈话，由人力资源部门与您商定安排。",
    },
}


def support_block(alerts: Sequence[Mapping[str, Any]], help_lines: Sequence[Mapping[str, Any]], lang: str) -> dict[str, Any] | None:
    """The support block for the alerts a result raised (None when none did), in one language.

    `resources` lists the organization's help lines, then the self-referral offer (POST /me/counseling).
    """
    if not alerts:
        return None
    lang = resolve_language(lang)
    kind = "crisis" if any(alert["kind"] == "crisis" for alert in alerts) else "signpost"
    lines = [
        {"type": "help_line", "name": line["name"], "phone": line["phone"], "hours": line.get("hours", "")}
        for line in help_lines
    ]
    offer = {"type": "self_referral", "name": SELF_REFERRAL["name"][lang],
             "description": SELF_REFERRAL["description"][lang]}
    return {
        "kind": kind,
        "message": MESSAGES[kind][lang],
        "alerts": [alert["rule_id"] for alert in alerts],
        "resources": [*lines, offer],
    }
