"""PUT /users/{id}/shifts (organization API key or admin); GET /me/shifts (the agent's own); the admin's
POST /org/shifts/csv and /org/shift-feeds (iCalendar feeds with their refresh state)."""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_jwt_extended import current_user

from api.core.auth import api_key_or_login_required, caller_org_id, login_required
from api.core.extensions import Blueprint
from api.core.idempotency import created, fingerprint
from api.core.keyring import keyring
from api.shifts.schemas import (
    CsvImportArgsSchema,
    CsvImportResultSchema,
    FeedCreateSchema,
    FeedListSchema,
    FeedSchema,
    ShiftRangeArgsSchema,
    ShiftRangeSchema,
)
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.core.errors import Invalid
from wellbeing.shifts import feeds
from wellbeing.shifts.csv_import import import_csv
from wellbeing.shifts.imports import own_shifts, replace_shifts

blp = Blueprint("shifts", __name__, url_prefix="", description="Shifts imported from workforce management")

_CSV_TEXT = {"type": "string", "maxLength": 5_000_000,
             "description": "rows of `agent e-mail, start, end, activity` (RFC 3339 times with an offset; activity "
                            "shift, break, meal, meeting or training), an optional header row"}
CSV_BODY = {"required": True, "content": {
    "text/csv": {"schema": _CSV_TEXT},
    "application/json": {"schema": {"type": "object", "required": ["csv"], "additionalProperties": False,
                                    "properties": {"csv": _CSV_TEXT}}}}}


def _out(body: dict) -> dict:
    return {"from_": body["from"], "to": body["to"], "shifts": body["shifts"]}


def _feed(feed) -> dict:
    return {**{k: getattr(feed, k) for k in ("id", "user_id", "url_host", "created_at", "last_checked_at",
                                             "last_success_at", "last_error", "failures", "next_check_at")},
            "status": feeds.feed_status(feed)}


@blp.route("/users/<user_id>/shifts")
class UserShifts(MethodView):
    @api_key_or_login_required("admin")
    @blp.arguments(ShiftRangeSchema)
    @blp.response(200, ShiftRangeSchema)
    @blp.alt_response(404, description="No such user in the caller's organization")
    def put(self, data, user_id):
        """Replace the user's imported shifts starting in [from, to); the same body twice changes nothing"""
        body, _ = replace_shifts(db.session, caller_org_id(), user_id, data["from_"], data["to"], data["shifts"],
                                 "api", utcnow())
        return _out(body)


@blp.route("/me/shifts")
class MyShifts(MethodView):
    @login_required("agent")
    @blp.arguments(ShiftRangeArgsSchema, location="query")
    @blp.response(200, ShiftRangeSchema)
    def get(self, args):
        """The caller's imported shifts starting in [from, to) (at most 62 days)"""
        return _out(own_shifts(db.session, current_user.id, args["from_"], args["to"]))


@blp.route("/org/shifts/csv")
class ShiftsCsv(MethodView):
    @login_required("admin")
    @blp.arguments(CsvImportArgsSchema, location="query")
    @blp.doc(requestBody=CSV_BODY)
    @blp.response(200, CsvImportResultSchema)
    def post(self, args):
        """Upload shifts as CSV; every agent in the file gets exactly its rows in [from, to), or nothing is stored"""
        if request.mimetype == "text/csv":
            raw = request.get_data(cache=False)
            if len(raw) > 5_000_000:
                raise Invalid("The file is larger than 5 MB.", fields={"csv": ["at most 5 MB"]})
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise Invalid("The file must be UTF-8 text.", fields={"csv": ["must be UTF-8 text"]}) from None
        else:  # the same text as {"csv": "..."}, for clients that only speak JSON
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or set(body) != {"csv"} or not isinstance(body["csv"], str) \
                    or len(body["csv"]) > 5_000_000:
                raise Invalid("Send the file as text/csv, or as {\"csv\": \"...\"}.",
                              fields={"csv": ["required: the file's text, at most 5 MB"]})
            text = body["csv"]
        if "\x00" in text or not _encodable(text):
            raise Invalid("The file must be text.", fields={"csv": ["NUL characters and lone surrogates are not allowed"]})
        return import_csv(db.session, current_user.org_id, text, args["from_"], args["to"], utcnow())


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@blp.route("/org/shift-feeds")
class ShiftFeeds(MethodView):
    @login_required("admin")
    @blp.response(200, FeedListSchema)
    def get(self):
        """The organization's iCalendar feeds and how their last reads went"""
        return {"items": [_feed(feed) for feed in feeds.feeds_of(db.session, current_user.org_id)]}

    @login_required("admin")
    @blp.arguments(FeedCreateSchema)
    @blp.response(201, FeedSchema)
    @blp.alt_response(200, schema=FeedSchema, description="Replay of a create with the same id and body")
    @blp.alt_response(409, description="The id was used with another body")
    def post(self, data):
        """Add a feed; the refresh job reads it within minutes (conditional GET, every 15 minutes)"""
        feed, new = feeds.add_feed(db.session, current_user.org_id, data, fingerprint(data), keyring(), utcnow(),
                                   current_app.config["ALLOW_PRIVATE_WEBHOOKS"])
        return created(_feed(feed), new)


@blp.route("/org/shift-feeds/<feed_id>")
class ShiftFeedById(MethodView):
    @login_required("admin")
    @blp.response(204)
    def delete(self, feed_id):
        """Stop reading a feed (the shifts it imported stay until replaced or purged)"""
        feeds.remove_feed(db.session, current_user.org_id, feed_id)
