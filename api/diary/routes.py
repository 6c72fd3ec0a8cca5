"""POST /diary, /diary/batch; GET /diary; GET, PATCH, DELETE /diary/{id}; GET /diary/insights, /diary/chart.png|svg."""
from __future__ import annotations

import marshmallow as ma
from flask import Response
from flask.views import MethodView
from flask_jwt_extended import current_user

from api.core.auth import login_required, signin_guard
from api.core.charts import chart_response
from api.diary.schemas import (
    BatchResultsSchema,
    BatchSchema,
    DaysArgsSchema,
    EntryCreateSchema,
    EntryPatchSchema,
    EntryQueryArgsSchema,
    EntrySchema,
    InsightsSchema,
)
from api.core.extensions import Blueprint
from api.core.idempotency import created, fingerprint
from api.core.keyring import keyring
from api.core.language import request_language
from api.core.pagination import decode_cursor, page_body, page_schema
from wellbeing.core.charts import chart_etag
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.diary import charts, entries, insights
from wellbeing.models import DiaryEntry
from wellbeing.core.pagination import keyset_page

blp = Blueprint("diary", __name__, url_prefix="/diary", description="The caller's emotion diary (own entries only)")
_ENTRY = EntryCreateSchema()


@blp.route("")
class Diary(MethodView):
    @login_required("agent", signin_in_write=True)
    @blp.arguments(EntryCreateSchema)
    @blp.response(201, EntrySchema)
    @blp.alt_response(200, schema=EntrySchema, description="Replay of a create with the same id and body")
    @blp.alt_response(409, description="The id was used with another body, or for an entry since deleted")
    def post(self, data):
        """Log an entry (idempotent on `id`); `occurred_at` may lie up to 30 days back for offline phones"""
        ring = keyring()
        entry, was_created = entries.create_entry(db.session, current_user, data, fingerprint(data), ring, utcnow(),
                                                  signin=signin_guard())
        # A new entry is answered from the values in hand (its note as sent); a replay decrypts the stored one.
        view = entries.entry_view(entry, ring, note=data.get("note")) if was_created else entries.entry_view(entry, ring)
        return created(view, was_created)

    @login_required("agent")
    @blp.arguments(EntryQueryArgsSchema, location="query")
    @blp.response(200, page_schema(EntrySchema))
    def get(self, args):
        """The caller's entries, newest first, `from`/`to` bounding occurred_at"""
        stmt = entries.entries_query(current_user.id, args.get("from_"), args.get("to"))
        page = keyset_page(db.session, stmt, DiaryEntry.occurred_at, DiaryEntry.id, args["limit"],
                           decode_cursor(args["cursor"]))
        return page_body(type(page)(entries.entry_views(page.items, keyring()), page.next_key))


@blp.route("/batch")
class DiaryBatch(MethodView):
    @login_required("agent")
    @blp.arguments(BatchSchema)
    @blp.response(200, BatchResultsSchema)
    def post(self, data):
        """Upload up to 500 queued entries; each reports created, unchanged (a replay) or error on its own"""
        items = []
        for raw in data["entries"]:
            if not isinstance(raw, dict):
                items.append((None, None, {"_schema": ["An entry must be a JSON object."]}))
                continue
            try:
                parsed = _ENTRY.load(raw)
            except ma.ValidationError as error:
                items.append(({"id": raw["id"]} if _is_uuid(raw.get("id")) else None, None, error.normalized_messages()))
            else:
                items.append((parsed, fingerprint(parsed), None))
        results = entries.create_batch(db.session, current_user, items, keyring(), utcnow())
        ring = keyring()
        return {"results": [
            {"id": r.id, "status": r.status}
            | ({"entry": entries.entry_view(r.entry, ring)} if r.entry is not None else {})
            | ({"errors": r.errors or {}, "code": r.code} if r.status == "error" else {})
            for r in results]}


def _is_uuid(value) -> bool:
    try:
        return isinstance(value, str) and ma.fields.UUID().deserialize(value) is not None
    except ma.ValidationError:
        return False


@blp.route("/insights")
class DiaryInsights(MethodView):
    @login_required("agent")
    @blp.arguments(DaysArgsSchema, location="query")
    @blp.response(200, InsightsSchema)
    def get(self, args):
        """Patterns in the caller's own diary over the last `days` days (7..365), in the caller's time zone"""
        return insights.insights(db.session, current_user.id, current_user.timezone, utcnow(), args["days"],
                                 current_user.diary_revision)


def _chart(fmt: str, args) -> Response:
    lang = request_language()
    days = insights.chart_days(db.session, current_user.id, current_user.timezone, utcnow(), args["days"])
    return chart_response(chart_etag("mood", days, lang, fmt), fmt, lambda: charts.mood_chart(days, lang, fmt))


@blp.route("/chart.png")
class DiaryChartPng(MethodView):
    @login_required("agent")
    @blp.arguments(DaysArgsSchema, location="query")
    @blp.response(200, content_type="image/png", description="A PNG chart")
    @blp.alt_response(304, description="Not modified")
    def get(self, args):
        """The caller's mood by day (valence-signed intensity) with tough-call days marked, as PNG"""
        return _chart("png", args)


@blp.route("/chart.svg")
class DiaryChartSvg(MethodView):
    @login_required("agent")
    @blp.arguments(DaysArgsSchema, location="query")
    @blp.response(200, content_type="image/svg+xml", description="An SVG chart")
    @blp.alt_response(304, description="Not modified")
    def get(self, args):
        """The caller's mood by day as SVG"""
        return _chart("svg", args)


@blp.route("/<entry_id>")
class DiaryEntryById(MethodView):
    @login_required("agent")
    @blp.response(200, EntrySchema)
    def get(self, entry_id):
        """One of the caller's entries"""
        return entries.entry_view(entries.own_entry(db.session, current_user.id, entry_id), keyring())

    @login_required("agent")
    @blp.arguments(EntryPatchSchema)
    @blp.response(200, EntrySchema)
    @blp.alt_response(409, description="A later edit (by the device clock in `updated_at`) is already stored")
    def patch(self, data, entry_id):
        """Edit an entry; of two offline edits the later `updated_at` wins and the earlier one gets 409"""
        entry = entries.update_entry(db.session, current_user, entry_id, data, keyring(), utcnow())
        return entries.entry_view(entry, keyring())

    @login_required("agent")
    @blp.response(204)
    def delete(self, entry_id):
        """Delete an entry; its id cannot be used again"""
        entries.delete_entry(db.session, current_user, entry_id, utcnow())
