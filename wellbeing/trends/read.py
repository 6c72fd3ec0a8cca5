"""Reads of published trends only: a team's series, the organization's (post-processed) series, visibility."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from wellbeing.core.errors import NotFound
from wellbeing.models import (
    POOLED_CELL,
    Organization,
    Team,
    TeamSupervisor,
    TrendCell,
    TrendPoolMember,
    TrendRelease,
    User,
)
from wellbeing.trends.privacy import (
    CellBudget,
    CellRelease,
    CellSpec,
    Figures,
    NoiseScales,
    NoisyAnswers,
    combine_cells,
)


def visible_team(session: Session, user: User, team_id: str) -> Team:
    """The team if the caller may read its trends (admin and HR: any of the org; supervisor: teams they lead)."""
    team = session.get(Team, team_id)
    leads = user.role != "supervisor" or session.get(TeamSupervisor, (team_id, user.id)) is not None
    if team is None or team.org_id != user.org_id or not leads:
        raise NotFound("No such team.")
    return team


def _point(cell: TrendCell) -> dict:
    return {"period_start": cell.period_start, "period_end": cell.period_end, "status": cell.status,
            "value": cell.label if cell.label is not None else cell.value, "margin": cell.margin,
            "approx_contributors": cell.approx_contributors}


def series(session: Session, org_id: str, cell: str, metric: str, first: date | None = None,
           last: date | None = None) -> list[dict]:
    """The published points of one cell and metric, oldest first, optionally between two days."""
    query = select(TrendCell).where(TrendCell.org_id == org_id, TrendCell.cell == cell, TrendCell.metric == metric)
    if first is not None:
        query = query.where(TrendCell.period_end >= first)
    if last is not None:
        query = query.where(TrendCell.period_start <= last)
    rows = session.scalars(query.order_by(TrendCell.period_start, TrendCell.granularity)).all()
    return [dict(_point(row), granularity=row.granularity) for row in rows]


def team_trends(session: Session, org: Organization, team_id: str, metric: str, first: date | None = None,
                last: date | None = None) -> dict:
    """GET /teams/{id}/trends: the team's published series for one metric."""
    points = series(session, org.id, team_id, metric, first, last)
    granularity = points[-1]["granularity"] if points else "month"
    return {"team_id": team_id, "metric": metric, "granularity": granularity, "roster_min": org.roster_min,
            "epsilon_per_month": float(org.epsilon_per_month),
            "series": [{k: v for k, v in p.items() if k != "granularity"} for p in points]}


def as_release(row: TrendRelease) -> CellRelease:
    """A stored release as the post-processing functions take it (no raw data, only the noisy answers)."""
    spec = CellSpec(row.granularity, tuple(row.metrics.split(",")), CellBudget(row.epsilon_micro))
    return CellRelease(Figures(row.status), NoisyAnswers(row.noisy_count, row.noisy_sum, row.noisy_high_risk),
                       NoiseScales(row.scale_count, row.scale_sum, row.scale_high_risk), row.roster_size, spec)


def organization_series(session: Session, org_id: str, metric: str) -> list[dict]:
    """The organization's monthly figures: sums of the noisy answers of its released cells (weeks by their Monday)."""
    by_month: dict[date, list[CellRelease]] = defaultdict(list)
    rows = session.scalars(select(TrendRelease).where(TrendRelease.org_id == org_id, TrendRelease.status == "released"))
    for row in rows:
        if metric in row.metrics.split(","):
            by_month[row.period_start.replace(day=1)].append(as_release(row))
    months = sorted(set(session.scalars(select(TrendCell.period_start).where(
        TrendCell.org_id == org_id, TrendCell.granularity == "month").distinct())))
    points = []
    for first in months:
        last = date(first.year + first.month // 12, first.month % 12 + 1, 1).toordinal() - 1
        figures = combine_cells(by_month.get(first, []))
        points.append({"period_start": first, "period_end": date.fromordinal(last), **figures.point(metric)})
    return points


def org_trends(session: Session, org: Organization, metric: str) -> dict:
    """GET /org/trends: one series per team and for the pooled cell, and the organization's, all from released cells."""
    teams = session.execute(select(Team.id, Team.name).where(Team.org_id == org.id).order_by(Team.name)).all()
    groups = [{"cell": team_id, "team_ids": [team_id], "name": name,
               "series": [{k: v for k, v in p.items() if k != "granularity"}
                          for p in series(session, org.id, team_id, metric)]} for team_id, name in teams]
    pooled_teams = sorted(set(session.scalars(select(TrendPoolMember.team_id).where(
        TrendPoolMember.org_id == org.id))))
    groups.append({"cell": POOLED_CELL, "team_ids": pooled_teams, "name": None,
                   "series": [{k: v for k, v in p.items() if k != "granularity"}
                              for p in series(session, org.id, POOLED_CELL, metric)]})
    return {"metric": metric, "roster_min": org.roster_min, "epsilon_per_month": float(org.epsilon_per_month),
            "groups": groups, "organization": organization_series(session, org.id, metric)}
