"""The release job: publish every closed, unpublished period once, as frozen differentially private cells."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
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
from wellbeing.trends.inputs import headcount_at, person_records, roster_at
from wellbeing.trends.periods import Period, due_months, due_weeks, month
from wellbeing.trends.privacy import (
    CellPlan,
    CellSpec,
    assign_cells,
    epsilon_to_micro,
    ledger_months,
    plan_cells,
    release_cell,
    weekly_release_allowed,
)
from wellbeing.trends.privacy.cells import WEEKLY_FROM
from wellbeing.trends.privacy.mechanisms import OPENDP_VERSION
from wellbeing.trends.privacy.release import METRICS, CellRelease

HIGH_RISK_AT = 75  # the risk model's "high" level starts here


@dataclass(frozen=True)
class MonthLayout:
    """A month as its first instant sees it: each team's cell, consenting and public roster sizes, the roster."""

    cells: dict[str, str]  # team -> its own id or POOLED_CELL
    sizes: dict[str, int]  # team -> consenting agents (the plan's input; never published)
    headcount: dict[str, int]  # team -> agents, consenting or not (public)
    roster: dict[str, str]  # consenting agent -> team


@dataclass(frozen=True)
class Cell:
    """One cell about to be released: who it may include, its sizes, the ledger rows it charges, its kind."""

    cell: str
    spec: CellSpec
    period: Period
    members: list[str]
    roster_size: int
    public_roster: int
    rows: list
    kind: str


class Releaser:
    """One organization's release run: plans per month (cached), and one transaction per period."""

    def __init__(self, session: Session, org: Organization, now: datetime):
        self.session, self.org, self.now = session, org, now
        self.tz = ZoneInfo(org.timezone)
        self.limit = epsilon_to_micro(org.epsilon_per_month)
        self.teams = list(session.scalars(select(Team.id).where(Team.org_id == org.id).order_by(Team.id)))
        self.counts: Counter[str] = Counter()
        self._layouts: dict[date, MonthLayout] = {}

    def month_layout(self, first: date) -> MonthLayout:
        """Cells, consenting and public roster sizes, and the consenting roster at the start of the month."""
        if first not in self._layouts:
            start = month(first, self.tz).start
            roster = roster_at(self.session, self.org.id, start)
            consenting = Counter(roster.values())
            sizes = {team: consenting.get(team, 0) for team in self.teams}
            headcount = headcount_at(self.session, self.org.id, start)
            self._layouts[first] = MonthLayout(assign_cells(sizes, roster_min=self.org.roster_min), sizes,
                                               {team: headcount.get(team, 0) for team in self.teams}, roster)
        return self._layouts[first]

    def plan(self, team: str, first: date) -> CellPlan:
        layout = self.month_layout(first)
        if layout.cells[team] == POOLED_CELL:
            return CellPlan("pooled", ())
        return plan_cells(layout.sizes[team], roster_min=self.org.roster_min,
                          epsilon_per_month=self.org.epsilon_per_month)

    def release_month(self, period: Period) -> None:
        """Every cell of one month, in one transaction holding the month's ledger rows."""
        layout = self.month_layout(period.first)
        own = [team for team in self.teams if layout.cells[team] == team]
        pooled = [team for team in self.teams if layout.cells[team] == POOLED_CELL]
        rows = ledger.lock_rows(self.session, self.org.id, [(POOLED_CELL, period.first)] +
                                [(team, period.first) for team in own], self.limit, self.now)
        if self._processed(period):
            self.session.rollback()
            return
        people = ledger.lock_people(self.session, self.org.id, layout.roster, [period.first], self.limit, self.now)
        records = person_records(self.session, self.org.id, period.start, period.end)
        for team in own:
            members = [user for user, on in layout.roster.items() if on == team]
            for spec in self.plan(team, period.first).cells:
                if spec.granularity == "month":
                    self._release(Cell(team, spec, period, members, layout.sizes[team], layout.headcount[team],
                                       [rows[(team, period.first)]], "team_monthly"), people, records)
            self._suppress_missing(team, period)
        if pooled:
            pool_size = sum(layout.sizes[team] for team in pooled)
            for team in pooled:
                self.session.add(TrendPoolMember(org_id=self.org.id, period_start=period.first, team_id=team,
                                                 cell=POOLED_CELL, roster_size=layout.sizes[team]))
                self._pooled(team, period)
            # The pooled cell is monthly whatever its size: its membership changes from month to month. A pool
            # under the floor gets no plan: it is suppressed, and its people are in no figure that month.
            spec = plan_cells(min(pool_size, WEEKLY_FROM - 1), roster_min=self.org.roster_min,
                              epsilon_per_month=self.org.epsilon_per_month).cells
            if spec:
                members = [user for user, on in layout.roster.items() if on in pooled]
                self._release(Cell(POOLED_CELL, spec[0], period, members, pool_size,
                                   sum(layout.headcount[team] for team in pooled),
                                   [rows[(POOLED_CELL, period.first)]], "pooled"), people, records)
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
            roster = {user: team for user, team in roster_at(self.session, self.org.id, period.start).items()
                      if team in teams}
            sizes = Counter(roster.values())
            headcount = headcount_at(self.session, self.org.id, period.start)
            people = ledger.lock_people(self.session, self.org.id, roster, months, self.limit, self.now)
            records = person_records(self.session, self.org.id, period.start, period.end)
            for team in teams:
                spec = next(s for s in self.plan(team, months[0]).cells if s.granularity == "week")
                members = [user for user, on in roster.items() if on == team]
                self._release(Cell(team, spec, period, members, sizes.get(team, 0), headcount.get(team, 0),
                                   [rows[(team, m)] for m in months], "team_weekly"), people, records)
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

    def _release(self, cell: Cell, people: dict, records: dict[str, float]) -> None:
        """Release one cell if its ledger months can pay for it, charging each person it includes.

        Suppressed and unspent when the plan's reservation cannot pay, or when fewer than roster_min of its
        people can still pay in every month the period touches (the others are left out of it).
        """
        cost = cell.spec.budget.total
        months = list(ledger_months(cell.period.first, cell.period.last))
        included = ledger.payers(people, cell.members, months, cost)
        if (cell.roster_size < self.org.roster_min or len(included) < self.org.roster_min
                or not ledger.affordable(cell.rows, cost)):
            self._store(cell, None)
            return
        values = {user: [records[user]] for user in included if user in records}
        released = release_cell(values, cell.public_roster, cell.spec, high_risk_at=HIGH_RISK_AT)
        ledger.spend(cell.rows, cost, self.now)
        ledger.charge_people(people, included, months, cost, cell.kind, self.now)
        self._store(cell, released)

    def _store(self, cell: Cell, released: CellRelease | None) -> None:
        spec, period = cell.spec, cell.period
        status = released.figures.status if released else "suppressed"
        noisy, scales = (released.noisy, released.scales) if released else (None, None)
        row = TrendRelease(
            org_id=self.org.id, cell=cell.cell, granularity=period.granularity, period_start=period.first,
            period_end=period.last, status=status, metrics=",".join(spec.metrics), roster_size=cell.roster_size,
            public_roster=cell.public_roster,
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
                org_id=self.org.id, cell=cell.cell, release_id=row.id, metric=metric, granularity=period.granularity,
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
            # In the order the periods closed, as the scheduler meets them: a catch-up run charges and leaves
            # out exactly the people a timely one would have.
            due = [*due_months(since, now, tz, until), *due_weeks(since, now, tz, until)]
            for period in sorted(due, key=lambda p: (p.end, p.granularity)):
                if (period.granularity, period.first) not in done:
                    (run.release_month if period.granularity == "month" else run.release_week)(period)
            session.commit()
            counts.update(run.counts)
    return dict(counts)


def release_job(session: Session, now: datetime) -> dict:
    """The scheduler's entry point: release every organization's due periods."""
    return release_due_periods(session, None, now)
