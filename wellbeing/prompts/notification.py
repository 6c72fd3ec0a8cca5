"""What a push provider carries for a prompt: its id, kind, exercise, a localized title and body, its validity.

Nothing sensitive ever goes to a push provider: no diary text, no scores, no names.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from wellbeing.core.language import resolve_language
from wellbeing.models import Prompt
from wellbeing.prompts.exercises import get_exercise

TITLES = {
    "breathing": {"en": "Time for a breather", "zh-CN": "该做个呼吸练习了"},
    "break": {"en": "Time for a short break", "zh-CN": "该休息一下了"},
    "questionnaire": {"en": "A short check-in is waiting", "zh-CN": "有一份简短问卷等你填写"},
    "test": {"en": "Test notification", "zh-CN": "测试通知"},
}
QUESTIONNAIRE_BODY = {"en": "It takes a few minutes; your answers stay private.",
                      "zh-CN": "只需几分钟，你的回答只有你自己能看到。"}
TEST_BODY = {"en": "Notifications reach this device.", "zh-CN": "通知可以送达此设备。"}


def prompt_message(prompt: Prompt, locale: str | None) -> dict[str, Any]:
    """The notification of a prompt in the agent's language."""
    lang = resolve_language(locale)
    if prompt.exercise_id is not None:
        body = get_exercise(prompt.exercise_id, lang)["title"]
    else:
        body = QUESTIONNAIRE_BODY[lang]
    message = {"prompt_id": prompt.id, "kind": prompt.kind, "exercise_id": prompt.exercise_id,
               "title": TITLES[prompt.kind][lang], "body": body, "valid_until": _z(prompt.valid_until)}
    if prompt.instrument_id is not None:
        message["instrument_id"] = prompt.instrument_id
    return message


def test_message(device_id: str, locale: str | None, valid_until: datetime) -> dict[str, Any]:
    """A test notification (POST /me/devices/{id}/test): no prompt behind it."""
    lang = resolve_language(locale)
    return {"prompt_id": None, "kind": "test", "exercise_id": None, "device_id": device_id,
            "title": TITLES["test"][lang], "body": TEST_BODY[lang], "valid_until": _z(valid_until)}


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
