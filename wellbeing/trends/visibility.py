"""What an agent's supervisor can see about the agent's team, in plain words and numbers (en, zh-CN)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from wellbeing.models import Organization, PrivacyPersonLedger, Team, TrendCell, User
from wellbeing.org.consents import has_consent
from wellbeing.trends.ledger import KINDS
from wellbeing.trends.privacy.budget import epsilon_to_micro, micro_to_epsilon
from wellbeing.trends.privacy.release import MIN_NOISY_COUNT

TEXT = {
    "en": {
        "consented": "You share your wellbeing data with your team's anonymized trends.",
        "not_consented": "You do not share your data with team trends; nothing of yours is counted.",
        "no_team": "You are not on a team, so you are counted in no team's trends.",
        "released": "For {period}, your supervisor saw the team's mean burnout risk {value} ± {margin} "
                    "from about {contributors} people.",
        "pooled": "For {period}, your team was too small to show on its own: its people were counted "
                  "together with other small teams, and your supervisor saw no number for your team.",
        "suppressed": "For {period}, too few people contributed, so nothing was shown.",
        "nothing_yet": "Nothing has been published for your team yet.",
        "why": "Teams with fewer than {roster_min} consenting people are never shown on their own. A period "
               "is shown only after it has closed, never live, and only when about {min_count} or more people "
               "contributed. Every number carries random noise (differential privacy, at most epsilon "
               "{epsilon} per person per month), so no one can work out any one person's answers, not even "
               "by comparing months or teams. Published numbers never change afterwards.",
        "never": "Your supervisor never sees your individual answers, diary, scores or whether you took part.",
        "budget": "This month, {spent} of {limit} used on figures that may include you.",
    },
    "zh-CN": {
        "consented": "您已同意将您的身心健康数据纳入团队匿名趋势。",
        "not_consented": "您未同意纳入团队趋势；您的任何数据都不会被计入。",
        "no_team": "您目前不在任何团队中，因此不会被计入任何团队趋势。",
        "released": "{period}：您的主管看到的团队平均职业倦怠风险为 {value} ± {margin}，约来自 {contributors} 人。",
        "pooled": "{period}：您的团队人数太少，无法单独显示；团队成员与其他小团队合并计算，"
                  "您的主管看不到您团队的任何数字。",
        "suppressed": "{period}：参与人数太少，因此没有显示任何数字。",
        "nothing_yet": "您的团队尚未发布任何数据。",
        "why": "同意人数少于 {roster_min} 人的团队永远不会单独显示。每个周期只在结束后发布，从不实时显示，"
               "且只有约 {min_count} 人或以上参与时才显示。每个数字都加入了随机噪声（差分隐私，每人每月至多 "
               "epsilon {epsilon}），因此任何人都无法推算出某个人的答案，即使比较不同月份或团队也不行。"
               "已发布的数字之后不会再改变。",
        "never": "您的主管永远看不到您个人的回答、日记、分数或您是否参与。",
        "budget": "本月在可能包含您的数据的已发布数字上已使用 {spent}（上限 {limit}）。",
    },
}


def visibility(session: Session, user: User, lang: str, now: datetime) -> dict:
    """GET /me/visibility: the latest published figure of the agent's team, the rules, why no one can see them,
    and the privacy budget spent on the caller in each of the last 12 months."""
    text = TEXT[lang]
    org = session.get(Organization, user.org_id)
    consented = has_consent(session, user.id, "team_aggregates")
    team = session.get(Team, user.team_id) if user.team_id else None
    latest = None
    if team is not None:
        latest = session.scalars(select(TrendCell).where(
            TrendCell.org_id == org.id, TrendCell.cell == team.id, TrendCell.metric == "burnout_risk")
            .order_by(TrendCell.period_start.desc(), TrendCell.granularity)).first()
    epsilon = float(org.epsilon_per_month)
    statements = [text["consented" if consented else "not_consented"]]
    if team is None:
        statements.append(text["no_team"])
    elif latest is None:
        statements.append(text["nothing_yet"])
    else:
        period = f"{latest.period_start.isoformat()} – {latest.period_end.isoformat()}"
        statements.append(text[latest.status].format(period=period, value=latest.value, margin=latest.margin,
                                                     contributors=latest.approx_contributors))
    budget = budget_by_month(session, user.id, org, now)
    statements += [text["why"].format(roster_min=org.roster_min, min_count=MIN_NOISY_COUNT, epsilon=epsilon),
                   text["never"],
                   text["budget"].format(spent=_shown(budget[-1]["epsilon_spent"]),
                                         limit=_shown(budget[-1]["epsilon_limit"]))]
    return {
        "language": lang, "consented": consented, "team_id": team.id if team else None,
        "team_name": team.name if team else None, "roster_min": org.roster_min, "min_noisy_count": MIN_NOISY_COUNT,
        "epsilon_per_month": epsilon,
        "latest": None if latest is None else {
            "metric": "burnout_risk", "period_start": latest.period_start, "period_end": latest.period_end,
            "status": latest.status, "value": latest.value, "margin": latest.margin,
            "approx_contributors": latest.approx_contributors},
        "budget": budget,
        "statements": statements,
    }


def budget_by_month(session: Session, user_id: str, org: Organization, now: datetime) -> list[dict]:
    """The last 12 months (organization time zone), oldest first: epsilon spent on figures that could include
    the user, the limit, and the kinds of figures that spent it (the person ledger, which releases charge)."""
    current = now.astimezone(ZoneInfo(org.timezone)).date().replace(day=1)
    months = [_months_before(current, n) for n in range(11, -1, -1)]
    rows = {row.month: row for row in session.scalars(select(PrivacyPersonLedger).where(
        PrivacyPersonLedger.user_id == user_id, PrivacyPersonLedger.month.in_(months)))}
    default_limit = epsilon_to_micro(org.epsilon_per_month)
    budget = []
    for month in months:
        row = rows.get(month)
        kinds = [kind for kind in KINDS if row is not None and getattr(row, f"{kind}_micro")]
        budget.append({"month": month, "epsilon_spent": float(micro_to_epsilon(row.spent_micro if row else 0)),
                       "epsilon_limit": float(micro_to_epsilon(row.limit_micro if row else default_limit)),
                       "kinds": kinds})
    return budget


def _months_before(first: date, n: int) -> date:
    index = first.year * 12 + first.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def _shown(epsilon: float) -> str:
    return f"{epsilon:.2f}".rstrip("0").rstrip(".") if epsilon % 1 else f"{epsilon:.1f}"
