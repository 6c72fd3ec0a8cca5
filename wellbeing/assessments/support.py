"""What an agent can turn to: the support block of an alert (resources and choices) and the support page (GET /support).

Both show the same resources, the organization's own lines first, then the national ones of its country
(wellbeing.assessments.resources). Reading them writes nothing: nobody in the organization learns who looked.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from sqlalchemy.orm import Session

from wellbeing.assessments.resources import confidential_ids, help_resources
from wellbeing.core.language import resolve_language
from wellbeing.models import Organization, User
from wellbeing.org.countries import org_country

# Calm, non-diagnostic wording; it promises only what holds: the answers stay with the agent unless they act.
# One line on every result screen: what the scores are (and are not), and whose they are.
RESULT_NOTICE = {
    "en": "Self-rated screening scores, not a diagnosis. Only you can see them.",
    "zh-CN": "这些是自评筛查分数，不是诊断。只有您本人可以看到。",
}
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
# The three answers an alert asks the agent to choose between; choosing is done on the phone and recorded nowhere.
CHOICES = {
    "hr_contact": {
        "label": {"en": "Ask HR to contact me", "zh-CN": "请人力资源部门联系我"},
        "offer": {
            "en": "HR arranges a confidential conversation with a counselor. Nothing reaches HR unless you choose "
                  "this.",
            "zh-CN": "人力资源部门会为您安排与心理咨询师的保密谈话。"
                     "除非您选择此项，否则不会有任何信息发送给人力资源部门。",
        },
        "arranged": {
            "en": "You have agreed to HR follow-up, so HR will contact you about a conversation with a counselor. "
                  "You can withdraw that consent at any time.",
            "zh-CN": "您已同意人力资源部门跟进，因此人力资源部门会就与心理咨询师谈话一事与您联系。"
                     "您可以随时撤回该同意。",
        },
    },
    "confidential": {
        "label": {"en": "See confidential options", "zh-CN": "查看保密求助渠道"},
        "description": {
            "en": "Services outside your organization's HR that you contact yourself. This app records nothing about "
                  "it, and nobody in your organization is told.",
            "zh-CN": "这些是单位人力资源部门以外、由您自行联系的服务。"
                     "本应用不会记录任何相关信息，单位里也不会有任何人知道。",
        },
    },
    "none": {
        "label": {"en": "Not now", "zh-CN": "暂时不需要"},
        "description": {
            "en": "Nothing is sent to anyone. These options stay available under Support.",
            "zh-CN": "不会向任何人发送任何信息。您随时可以在“求助资源”中找到这些选项。",
        },
    },
}
PAGE = {
    "message": {
        "en": "You do not have to handle things alone. If you would like to talk to someone, the lines below are "
              "there for you. If you are in danger or might harm yourself, call an emergency number now.",
        "zh-CN": "您不必独自面对。如果您想找人聊聊，可以联系以下热线。"
                 "如果您正处于危险之中或可能伤害自己，请立即拨打紧急电话。",
    },
    "privacy": {
        "en": "Nothing you do on this page is recorded, and nobody in your organization is told that you looked at it. "
              "Lines marked confidential are run outside your organization's HR, and you contact them directly.",
        "zh-CN": "您在本页的任何操作都不会被记录，单位里也不会有人知道您查看过本页。"
                 "标记为保密的热线由单位人力资源部门以外的机构提供，由您直接联系。",
    },
}


def support_block(alerts: Sequence[Mapping[str, Any]], resources: Sequence[Mapping[str, Any]], lang: str,
                  hr_followup: bool) -> dict[str, Any] | None:
    """The support block for the alerts a result raised (None when none did), in one language.

    `resources` are the help resources (wellbeing.assessments.resources.help_resources), followed here by the
    self-referral offer (POST /me/counseling). `choices` asks the agent what they want: HR to contact them
    (`arranged` when their hr_followup consent already told HR), the confidential options, or neither.
    """
    if not alerts:
        return None
    lang = resolve_language(lang)
    kind = "crisis" if any(alert["kind"] == "crisis" for alert in alerts) else "signpost"
    return {
        "kind": kind,
        "message": MESSAGES[kind][lang],
        "alerts": [alert["rule_id"] for alert in alerts],
        "resources": [*resources, self_referral_offer(lang)],
        "choices": _choices(resources, lang, hr_followup),
    }


def support_page(session: Session, user: User, lang: str) -> dict[str, Any]:
    """GET /support: the help resources of the user's organization in one language, and what reading them means.

    Only reads: nothing is stored about who looked, when, or what they did next.
    """
    lang = resolve_language(lang)
    org = session.get(Organization, user.org_id)
    resources = help_resources(org, lang)
    return {
        "language": lang,
        "country": org_country(org),
        "message": PAGE["message"][lang],
        "privacy": PAGE["privacy"][lang],
        "resources": resources,
        "self_referral": self_referral_offer(lang) if user.role == "agent" else None,
    }


def self_referral_offer(lang: str) -> dict[str, str]:
    """The offer to refer oneself for counseling (POST /me/counseling, agents only)."""
    return {"type": "self_referral", "id": "self_referral", "name": SELF_REFERRAL["name"][lang],
            "description": SELF_REFERRAL["description"][lang]}


def _choices(resources: Sequence[Mapping[str, Any]], lang: str, hr_followup: bool) -> list[dict[str, Any]]:
    hr = CHOICES["hr_contact"]
    choices = [{
        "id": "hr_contact", "label": hr["label"][lang], "description": hr["arranged" if hr_followup else "offer"][lang],
        "arranged": hr_followup, "resources": [] if hr_followup else ["self_referral"],
    }]
    confidential = confidential_ids(resources)
    if confidential:
        choices.append(_choice("confidential", lang, confidential))
    choices.append(_choice("none", lang, []))
    return choices


def _choice(key: str, lang: str, resources: list[str]) -> dict[str, Any]:
    return {"id": key, "label": CHOICES[key]["label"][lang], "description": CHOICES[key]["description"][lang],
            "resources": resources}
