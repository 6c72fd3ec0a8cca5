"""Query and response schemas of the team trends."""
import marshmallow as ma
from marshmallow import fields, validate

from api.core.schemas import RequestSchema
from wellbeing.trends.privacy.release import METRICS

_METRIC = dict(load_default="burnout_risk", validate=validate.OneOf(METRICS),
               metadata={"description": "burnout_risk, participation or high_risk_share"})


class TeamTrendsArgsSchema(RequestSchema):
    """`metric`, and `from`/`to` to choose among the already published periods."""

    metric = fields.String(**_METRIC)
    from_ = fields.Date(data_key="from", load_default=None)
    to = fields.Date(load_default=None)


class OrgTrendsArgsSchema(RequestSchema):
    metric = fields.String(**_METRIC)


class NoArgsSchema(RequestSchema):
    """No query parameter is accepted."""


class PointSchema(ma.Schema):
    period_start = fields.Date()
    period_end = fields.Date()
    status = fields.String(metadata={"description": "released, suppressed or pooled"})
    value = fields.Raw(allow_none=True, metadata={"description": "a number, or a band label for high_risk_share"})
    margin = fields.Float(allow_none=True, metadata={"description": "90% noise margin of value"})
    approx_contributors = fields.Integer(allow_none=True, metadata={"description": "rounded to a multiple of 5"})


class TeamTrendsSchema(ma.Schema):
    team_id = fields.String()
    metric = fields.String()
    granularity = fields.String()
    roster_min = fields.Integer()
    epsilon_per_month = fields.Float()
    series = fields.List(fields.Nested(PointSchema))


class GroupSchema(ma.Schema):
    cell = fields.String(metadata={"description": "a team id, or 'pooled' for the organization's pooled cell"})
    team_ids = fields.List(fields.String())
    name = fields.String(allow_none=True)
    series = fields.List(fields.Nested(PointSchema))


class FormedFromSchema(ma.Schema):
    monthly_cells = fields.Integer(metadata={"description": "released monthly cells summed in"})
    weekly_teams = fields.Integer(metadata={"description": "teams released by weeks, each counted once as the "
                                                          "mean of its weeks that start in the month"})
    weeks_averaged = fields.Integer(metadata={"description": "released weekly cells those means were taken over"})
    pooled_cell = fields.String(metadata={
        "description": "the pooled cell of small teams this month: released, suppressed (its people are in no "
                       "published figure), or none (no team was pooled)"})


class OrgPointSchema(PointSchema):
    formed_from = fields.Nested(FormedFromSchema, metadata={"description": "how the organization figure was formed"})


class OrgTrendsSchema(ma.Schema):
    metric = fields.String()
    roster_min = fields.Integer()
    epsilon_per_month = fields.Float()
    groups = fields.List(fields.Nested(GroupSchema))
    organization = fields.List(fields.Nested(OrgPointSchema))


class LatestSchema(PointSchema):
    metric = fields.String()


class BudgetMonthSchema(ma.Schema):
    month = fields.Date(metadata={"description": "the first day of the month (organization time zone)"})
    epsilon_spent = fields.Float()
    epsilon_limit = fields.Float()
    kinds = fields.List(fields.String(), metadata={
        "description": "kinds of figures that spent it: team_monthly, team_weekly, pooled"})


class VisibilitySchema(ma.Schema):
    language = fields.String()
    consented = fields.Boolean()
    team_id = fields.String(allow_none=True)
    team_name = fields.String(allow_none=True)
    roster_min = fields.Integer()
    min_noisy_count = fields.Integer()
    epsilon_per_month = fields.Float()
    latest = fields.Nested(LatestSchema, allow_none=True)
    budget = fields.List(fields.Nested(BudgetMonthSchema), metadata={
        "description": "each of the last 12 months, oldest first: the epsilon spent on released figures that "
                       "could include the caller, against the limit"})
    statements = fields.List(fields.String())
