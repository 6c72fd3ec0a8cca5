"""Liveness and readiness probes (no authentication, no rate limit)."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from api.core.extensions import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from wellbeing.core.db import db
from wellbeing.core.errors import Unavailable

blp = Blueprint("health", __name__, description="Health probes")


class StatusSchema(ma.Schema):
    """A probe's answer."""

    status = ma.fields.String()
    database = ma.fields.String()


@blp.route("/healthz")
class Health(MethodView):
    @blp.response(200, StatusSchema)
    def get(self):
        """The process is up"""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.response(200, StatusSchema)
    @blp.alt_response(503, description="The database does not answer")
    def get(self):
        """The database answers"""
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            db.session.rollback()
            raise Unavailable("The database does not answer.") from None
        return {"status": "ok", "database": "ok"}
