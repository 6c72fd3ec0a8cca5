"""The release job: publish every closed, unpublished period once, as frozen differentially private cells."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wellbeing.core.db import upsert_insert, write_intent
from wellbeing.models import (
    POOLED_CELL,
    Organization,
    Team,
    TeamMembership,
    TrendCell,
    TrendPeriod,
    TrendPoolMember,
    TrendRelease,
)
from wellbeing.trends import ledger
from wellbeing.trends.inputs import person_records, roster_at
from wellbeing.trends.periods import Period, due_months, due_weeks, month
from wellbeing.trends.privacy import (
    CellPlan,
    CellSpec,
    assign_cells,
    epsilon_to_micro,
    plan_cells,
    release_cell,
    weekly_release_allowed,
)
from wellbeing.trends.privacy.cells import WEEKLY_FROM
from wellbeing.trends.privacy.mechanisms import OPENDP_VERSION
from wellbeing.trends.privacy.release import METRICS, CellRelease

HIGH_RISK_AT = 75  # the risk model's "high" level starts here


class Releaser:
    """One organization's release run: plans per month (cached), and one transaction per period."""

    def __init__(self, session: Session, org: Organization, now: datetime):
        self.session, self.org, self.now = session, org, now
        self.tz = ZoneInfo(org.timezone)
        self.limit = epsilon_to_micro(org.epsilon_per_month)
        self.teams = list(session.scalars(select(Team.id).where(Team.org_id == org.id).order_by(Team.id)))
        self.counts: Counter[str] = Counter()
        self._plans: dict[date, tuple[dict[str, str], dict[str, int], dict[str, str]]] = {}

    def month_layout(self, first: date) -> tuple[dict[str, str], dict[str, int], dict[str, str]]:
        """(team -> cell, team -> consenting roster size, agent -> team) at the start of the month starting `first`."""
        if first not in self._plans:
            roster = roster_at(self.session, self.org.id, month(first, self.tz).start)
            sizes = Counter(roster.values())
            sizes = {team: sizes.get(team, 0) for team in self.teams}
            self._plans[first] = (assign_cells(sizes, roster_min=self.org.roster_min), sizes, roster)
        return self._plans[first]

    def plan(self, team: str, first: date) -> CellPlan:
        cells, sizes, _ = self.month_layout(first)
        if cells[team] == POOLED_CELL:
            return CellPlan("pooled", ())
        return plan_cells(sizes[team], roster_min=self.org.roster_min, epsilon_per_month=self.org.epsilon_per_month)

    def release_month(self, period: Period) -> None:
        """Every cell of one month, in one transaction holding the month's ledger rows."""
        cells, sizes, roster = self.month_layout(period.first)
        own = [team for team in self.teams if cells[team] == team]
        pooled = [team for team in self.teams if cells[team] == POOLED_CELL]
        rows = ledger.lock_rows(self.session, self.org.id, [(POOLED_CELL, period.first)] +
                                [(team, period.first) for team in own], self.limit, self.now)
        if self._processed(period):
            self.session.rollback()
            return
        records = person_records(self.session, self.org.id, period.start, period.end)
        for team in own:
            for spec in self.plan(team, period.first).cells:
                if spec.granularity == "month":
                    self._release(team, spec, period, roster, records, sizes[team], [rows[(team, period.first)]])
            self._suppress_missing(team, period)
        if pooled:
            pool_size = sum(sizes[team] for team in pooled)
            for team in pooled:
                self.session.add(TrendPoolMember(org_id=self.org.id, period_start=period.first, team_id=team,
                                                 cell=POOLED_CELL, roster_size=sizes[team]))
                self._pooled(team, period)
            # The pooled cell is monthly whatever its size: its membership changes from month to month.
            spec = plan_cells(min(pool_size, WEEKLY_FROM - 1), roster_min=self.org.roster_min,
                              epsilon_per_month=self.org.epsilon_per_month).cells
            if spec:
                pool_roster = {user: POOLED_CELL for user, team in roster.items() if team in pooled}
                self._release(POOLED_CELL, spec[0], period, pool_roster, records, pool_size,
                              [rows[(POOLED_CELL, period.first)]], member_of=POOLED_CELL)
            else:
                self._suppress_missing(POOLED_CELL, period)
        self._mark(period)
        self.session.commit()

    def release_week(self, period: Period) -> None:
        """The weekly cells of teams whose plans for every month the week touches are weekly."""
        months = sorted({period.first.replace(day=1), period.last.replace(day=1)})
        teams = [team for team in self.teams
                 if weekly_release_allowed(period.first, {first: self.plan(team, first) for first in months})]
        rows = ledger.lock_rows(self.session, self.org.id, [(t, m) for t in teams for m in months], self.limit,
                                self.now)
        if self._processed(period):
            self.session.rollback()
            return
        if teams:
            roster = roster_at(self.session, self.org.id, period.start)
            sizes = Counter(roster.values())
            records = person_records(self.session, self.org.id, period.start, period.end)
            for team in teams:
                spec = next(s for s in self.plan(team, months[0]).cells if s.granularity == "week")
                self._release(team, spec, period, roster, records, sizes.get(team, 0),
                              [rows[(team, m)] for m in months])
        self._mark(period)
        self.session.commit()

    def _processed(self, period: Period) -> bool:
        """Whether a run already handled the period (checked under the ledger lock, so only one run does)."""
        return self.session.get(TrendPeriod, (self.org.id, period.granularity, period.first),
                                populate_existing=True) is not None

    def _mark(self, period: Period) -> None:
        """Record the period as handled; a week without weekly teams holds no lock, so a racing run may too."""
        self.session.execute(upsert_insert(self.session.get_bind(), TrendPeriod).values(
            org_id=self.org.id, granularity=period.granularity, period_start=period.first,
            released_at=self.now).on_conflict_do_nothing())

    def _release(self, cell: str, spec: CellSpec, period: Period, roster: dict[str, str],
                 records: dict[str, float], roster_size: int, rows: list, member_of: str | None = None) -> None:
        """Release one cell if every ledger month can pay for it; otherwise store it suppressed, unspent."""
        members = [user for user, team in roster.items() if team == (member_of or cell)]
        cost = spec.budget.total
        if roster_size < self.org.roster_min or not ledger.affordable(rows, cost):
            self._store(cell, spec, period, roster_size, None)
            return
        values = {user: [records[user]] for user in members if user in records}
        released = release_cell(values, roster_size, spec, high_risk_at=HIGH_RISK_AT)
        ledger.spend(rows, cost, self.now)
        self._store(cell, spec, period, roster_size, released)

    def _store(self, cell: str, spec: CellSpec, period: Period, roster_size: int,
               released: CellRelease | None) -> None:
        status = released.figures.status if released else "suppressed"
        noisy, scales = (released.noisy, released.scales) if released else (None, None)
        row = TrendRelease(
            org_id=self.org.id, cell=cell, granularity=period.granularity, period_start=period.first,
            period_end=period.last, status=status, metrics=",".join(spec.metrics), roster_size=roster_size,
            noisy_count=noisy and noisy.count, noisy_sum=noisy and noisy.centred_sum,
            noisy_high_risk=noisy and noisy.high_risk, scale_count=scales and scales.count,
            scale_sum=scales and scales.sum, scale_high_risk=scales and scales.high_risk,
            epsilon_micro=released.epsilon_spent_micro if released else 0, opendp_version=OPENDP_VERSION,
            released_at=self.now)
        self.session.add(row)
        self.session.flush()
        for metric in spec.metrics:
            point = released.figures.point(metric) if released else {"status": "suppressed"}
            value = point.get("value")
            self.session.add(TrendCell(
                org_id=self.org.id, cell=cell, release_id=row.id, metric=metric, granularity=period.granularity,
                period_start=period.first, period_end=period.last, status=point["status"],
                value=value if isinstance(value, (int, float)) else None,
                label=value if isinstance(value, str) else None, margin=point.get("margin"),
                approx_contributors=point.get("approx_contributors"), released_at=self.now))
            self.counts[point["status"]] += 1

    def _suppress_missing(self, cell: str, period: Period) -> None:
        """Monthly rows for metrics the cell's plan does not release this month (so every series is complete)."""
        self.session.flush()
        present = set(self.session.scalars(select(TrendCell.metric).where(
            TrendCell.org_id == self.org.id, TrendCell.cell == cell, TrendCell.granularity == "month",
            TrendCell.period_start == period.first)))
        planned_weekly = {m for s in self.plan(cell, period.first).cells if s.granularity == "week"
                          for m in s.metrics} if cell != POOLED_CELL else set()
        for metric in METRICS:
            if metric not in present and metric not in planned_weekly:
                self._gap(cell, metric, period, "suppressed")

    def _pooled(self, team: str, period: Period) -> None:
        for metric in METRICS:
            self._gap(team, metric, period, "pooled")

    def _gap(self, cell: str, metric: str, period: Period, status: str) -> None:
        self.session.add(TrendCell(
            org_id=self.org.id, cell=cell, release_id=None, metric=metric, granularity="month",
            period_start=period.first, period_end=period.last, status=status, released_at=self.now))
        self.counts[status] += 1


def _since(session: Session, org_id: str) -> datetime | None:
    """The start of the org's history: its earliest team membership."""
    return session.scalar(select(func.min(TeamMembership.valid_from))
                          .join(Team, Team.id == TeamMembership.team_id).where(Team.org_id == org_id))


def release_due_periods(session: Session, org_id: str | None, now: datetime, until: date | None = None) -> dict:
    """Publish every closed (plus a grace day), unpublished month and ISO week of one organization or all.

    Idempotent: a period already published is skipped under its ledger lock, so running twice, or
    two runs at once, publishes and spends once. Returns how many figures got each status.
    """
    counts: Counter[str] = Counter()
    with write_intent():
        query = select(Organization).order_by(Organization.id)
        if org_id is not None:
            query = query.where(Organization.id == org_id)
        for org in session.scalars(query).all():
            since = _since(session, org.id)
            if since is None:
                continue
            run = Releaser(session, org, now)
            tz = ZoneInfo(org.timezone)
            done = {(granularity, first) for granularity, first in session.execute(
                select(TrendPeriod.granularity, TrendPeriod.period_start).where(TrendPeriod.org_id == org.id))}
            for period in due_months(since, now, tz, until):
                if ("month", period.first) not in done:
                    run.release_month(period)
            for period in due_weeks(since, now, tz, until):
                if ("week", period.first) not in done:
                    run.release_week(period)
            session.commit()
            counts.update(run.counts)
    return dict(counts)


def release_job(session: Session, now: datetime) -> dict:
    """The scheduler's entry point: release every organization's due periods."""
    return release_due_periods(session, None, now)
