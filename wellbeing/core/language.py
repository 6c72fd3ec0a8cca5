"""The languages the service speaks (English and Simplified Chinese) and how a request's language is chosen."""
import re
from typing import Literal

Language = Literal["en", "zh-CN"]
LANGUAGES: tuple[Language, ...] = ("en", "zh-CN")
DEFAULT_LANGUAGE: Language = "en"
# Chinese tags we serve with Simplified Chinese; Traditional ones (zh-TW, zh-Hant...) are not matched.
_SIMPLIFIED = {"zh", "zh-cn", "zh-hans", "zh-sg", "zh-hans-cn", "zh-hans-sg"}


def resolve_language(lang: str | None) -> str:
    """The supported language matching a tag case-insensitively, else the default ("en")."""
    wanted = (lang or "").strip().lower()
    return next((supported for supported in LANGUAGES if supported.lower() == wanted), DEFAULT_LANGUAGE)


def pick_language(accept_language: str | None, user_locale: str | None) -> Language:
    """The response language: the best Accept-Language match, else the user's locale, else English."""
    for tag in _ranked_tags(accept_language or ""):
        if tag == "*":
            break
        lang = _supported(tag)
        if lang is not None:
            return lang
    return _supported((user_locale or "").lower()) or "en"


def _supported(tag: str) -> Language | None:
    if tag in _SIMPLIFIED:
        return "zh-CN"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def _ranked_tags(header: str) -> list[str]:
    """Language ranges by descending q (ties keep header order); q=0 and malformed ranges are dropped."""
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.partition(";")
        tag = tag.strip().lower()
        q = _quality(params)
        if tag and q is not None and q > 0:
            ranked.append((-q, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def _quality(params: str) -> float | None:
    params = params.strip()
    if not params:
        return 1.0
    name, _, value = params.partition("=")
    if name.strip().lower() != "q" or not re.fullmatch(r"0(\.\d{0,3})?|1(\.0{0,3})?", value.strip()):
        return None
    return float(value)
