"""GET /teams/{id}/trends(.png|.svg), GET /org/trends, GET /me/visibility: reads of published cells only."""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from flask import Response, request
from flask.views import MethodView
from flask_jwt_extended import current_user

from api.core.auth import login_required
from api.core.charts import chart_response
from api.core.errors import HttpProblem
from api.core.extensions import Blueprint
from api.core.language import request_language
from api.trends.schemas import (
    NoArgsSchema,
    OrgTrendsArgsSchema,
    OrgTrendsSchema,
    TeamTrendsArgsSchema,
    TeamTrendsSchema,
    VisibilitySchema,
)
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.models import Organization
from wellbeing.trends import charts, read
from wellbeing.trends.visibility import visibility

def narrow(schema: type) -> Callable:
    """Refuse with 400 any query parameter the schema does not declare (the contract allows no others)."""
    allowed = {field.data_key or name for name, field in schema().fields.items()}

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            unknown = sorted(set(request.args) - allowed)
            if unknown:
                accepted = ", ".join(sorted(allowed)) or "none"
                raise HttpProblem(400, "Bad request", f"Only these query parameters are accepted: {accepted}",
                                  errors={"query": {name: ["Unknown parameter."] for name in unknown}})
            return view(*args, **kwargs)
        return wrapper
    return decorate


blp = Blueprint("trends", __name__, url_prefix="", description="Anonymized team trends (published cells only)")
reads_log = logging.getLogger("wellbeing.trends.reads")


def _team_series(team_id: str, args: dict) -> tuple[object, dict]:
    """Authorize the caller for the team, log a supervisor's read, and return (team, published series)."""
    team = read.visible_team(db.session, current_user, team_id)
    org = db.session.get(Organization, current_user.org_id)
    body = read.team_trends(db.session, org, team.id, args["metric"], args["from_"], args["to"])
    if current_user.role == "supervisor":
        reads_log.info("supervisor %s read team %s metric %s periods %s..%s", current_user.id, team.id,
                       args["metric"], args["from_"], args["to"])
    return team, body


@blp.route("/teams/<team_id>/trends")
class TeamTrends(MethodView):
    @login_required("supervisor", "admin", "hr")
    @narrow(TeamTrendsArgsSchema)
    @blp.arguments(TeamTrendsArgsSchema, location="query")
    @blp.response(200, TeamTrendsSchema)
    def get(self, args, team_id):
        """A team's published trend series for one metric"""
        return _team_series(team_id, args)[1]


def _chart(team_id: str, args: dict, fmt: str) -> Response:
    team, body = _team_series(team_id, args)
    lang = request_language()
    title = charts.chart_title(team.name, args["metric"], lang)
    etag = charts.chart_etag(body["series"], args["metric"], title, lang, fmt)
    return chart_response(etag, fmt, lambda: charts.team_chart(body["series"], args["metric"], title, lang, fmt)[1])


@blp.route("/teams/<team_id>/trends.png")
class TeamTrendsPng(MethodView):
    @login_required("supervisor", "admin", "hr")
    @narrow(TeamTrendsArgsSchema)
    @blp.arguments(TeamTrendsArgsSchema, location="query")
    @blp.response(200, description="The chart", content_type="image/png")
    @blp.alt_response(304, description="Not modified: the ETag in If-None-Match still matches")
    def get(self, args, team_id):
        """The team's published series as a PNG chart with its margin band (ETag, 304)"""
        return _chart(team_id, args, "png")


@blp.route("/teams/<team_id>/trends.svg")
class TeamTrendsSvg(MethodView):
    @login_required("supervisor", "admin", "hr")
    @narrow(TeamTrendsArgsSchema)
    @blp.arguments(TeamTrendsArgsSchema, location="query")
    @blp.response(200, description="The chart", content_type="image/svg+xml")
    @blp.alt_response(304, description="Not modified: the ETag in If-None-Match still matches")
    def get(self, args, team_id):
        """The team's published series as an SVG chart with its margin band (ETag, 304)"""
        return _chart(team_id, args, "svg")


@blp.route("/org/trends")
class OrgTrends(MethodView):
    @login_required("admin", "hr")
    @narrow(OrgTrendsArgsSchema)
    @blp.arguments(OrgTrendsArgsSchema, location="query")
    @blp.response(200, OrgTrendsSchema)
    def get(self, args):
        """Every team's and the pooled cell's series, and the organization's, all from released cells"""
        org = db.session.get(Organization, current_user.org_id)
        return read.org_trends(db.session, org, args["metric"])


@blp.route("/me/visibility")
class Visibility(MethodView):
    @login_required("agent")
    @narrow(NoArgsSchema)
    @blp.arguments(NoArgsSchema, location="query")
    @blp.response(200, VisibilitySchema)
    def get(self, args):
        """What the agent's supervisor can see about their team, and why no one can see them"""
        return visibility(db.session, current_user, request_language(), utcnow())
