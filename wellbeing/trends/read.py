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
    combine_monthly,
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
    # Releases made before the public roster was recorded used the consenting roster in their figures.
    roster = row.public_roster if row.public_roster is not None else row.roster_size
    return CellRelease(Figures(row.status), NoisyAnswers(row.noisy_count, row.noisy_sum, row.noisy_high_risk),
                       NoiseScales(row.scale_count, row.scale_sum, row.scale_high_risk), roster, spec)


def organization_series(session: Session, org_id: str, metric: str) -> list[dict]:
    """The organization's monthly figures in monthly equivalents, from released cells only, each saying how it
    was formed: monthly cells as they are, and a team released by weeks once, as the mean of its weeks that start
    in the month (adding its weeks up would count its people four or five times)."""
    monthly: dict[date, list[CellRelease]] = defaultdict(list)
    weekly: dict[date, dict[str, list[CellRelease]]] = defaultdict(lambda: defaultdict(list))
    rows = session.scalars(select(TrendRelease).where(TrendRelease.org_id == org_id, TrendRelease.status == "released")
                           .order_by(TrendRelease.period_start, TrendRelease.cell))
    for row in rows:
        if metric in row.metrics.split(","):
            first = row.period_start.replace(day=1)
            if row.granularity == "week":
                weekly[first][row.cell].append(as_release(row))
            else:
                monthly[first].append(as_release(row))
    pools = dict(session.execute(select(TrendCell.period_start, TrendCell.status).where(
        TrendCell.org_id == org_id, TrendCell.cell == POOLED_CELL, TrendCell.granularity == "month",
        TrendCell.metric == metric)).all())
    months = sorted(set(session.scalars(select(TrendCell.period_start).where(
        TrendCell.org_id == org_id, TrendCell.granularity == "month").distinct())))
    points = []
    for first in months:
        last = date(first.year + first.month // 12, first.month % 12 + 1, 1).toordinal() - 1
        teams_by_week = list(weekly[first].values())
        figures = combine_monthly(monthly.get(first, []), teams_by_week)
        formed = {"monthly_cells": len(monthly.get(first, [])), "weekly_teams": len(teams_by_week),
                  "weeks_averaged": sum(len(weeks) for weeks in teams_by_week),
                  "pooled_cell": pools.get(first, "none")}
        points.append({"period_start": first, "period_end": date.fromordinal(last), **figures.point(metric),
                       "formed_from": formed})
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
