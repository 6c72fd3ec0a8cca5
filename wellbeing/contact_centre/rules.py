"""An organization's mapping of platform rule names and categories onto complaint and abusive calls."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wellbeing.core.db import write_intent
from wellbeing.models import PlatformRule
from wellbeing.models.contact_centre import PLATFORMS, RULE_KINDS


def rules_of(session: Session, org_id: str) -> dict[str, dict[str, list[str]]]:
    """{platform: {"complaint": [names], "abusive": [names]}}, every platform and kind present, names sorted."""
    body = {platform: {kind: [] for kind in RULE_KINDS} for platform in PLATFORMS}
    for rule in session.scalars(select(PlatformRule).where(PlatformRule.org_id == org_id)
                                .order_by(PlatformRule.platform, PlatformRule.kind, PlatformRule.name)):
        body[rule.platform][rule.kind].append(rule.name)
    return body


def replace_rules(session: Session, org_id: str, mapping: dict[str, dict[str, list[str]]]) -> dict:
    """Replace the whole mapping (names compared case-insensitively; a name listed under both kinds counts as
    abusive). Platforms left out keep nothing."""
    with write_intent():
        session.execute(delete(PlatformRule).where(PlatformRule.org_id == org_id))
        for platform, kinds in mapping.items():
            chosen: dict[str, str] = {}
            for kind in RULE_KINDS:
                for name in kinds.get(kind, []):
                    chosen[name.strip().lower()] = "abusive" if chosen.get(name.strip().lower()) == "abusive" else kind
            session.add_all(PlatformRule(org_id=org_id, platform=platform, name=name, kind=kind)
                            for name, kind in chosen.items() if name)
        session.commit()
    return rules_of(session, org_id)
