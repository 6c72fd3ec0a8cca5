"""GET, PUT /me/prompt-settings; GET /me/prompts; POST /me/prompts/{id}/ack|complete|dismiss|snooze."""
from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from api.core.auth import login_required
from api.core.extensions import Blueprint
from api.core.pagination import decode_cursor, page_body, page_schema
from api.prompts.schemas import OpenedSchema, PromptQueryArgsSchema, PromptSchema, PromptSettingsSchema, SnoozeSchema
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.models import Prompt
from wellbeing.core.pagination import keyset_page
from wellbeing.prompts import ledger
from wellbeing.prompts.settings import replace_settings, settings_of

blp = Blueprint("prompts", __name__, url_prefix="/me", description="The agent's breathing and break prompts")


@blp.route("/prompt-settings")
class Settings(MethodView):
    @login_required("agent")
    @blp.response(200, PromptSettingsSchema)
    def get(self):
        """The caller's prompt settings (the defaults until they change them)"""
        return settings_of(db.session, current_user.id)

    @login_required("agent")
    @blp.arguments(PromptSettingsSchema)
    @blp.response(200, PromptSettingsSchema)
    def put(self, settings):
        """Replace the caller's prompt settings; their coming prompts are replanned at once"""
        return replace_settings(db.session, current_user, settings, utcnow())


@blp.route("/prompts")
class Prompts(MethodView):
    @login_required("agent")
    @blp.arguments(PromptQueryArgsSchema, location="query")
    @blp.response(200, page_schema(PromptSchema))
    def get(self, args):
        """The caller's prompts, latest due first"""
        stmt = ledger.prompts_query(current_user.id, args.get("status"))
        return page_body(keyset_page(db.session, stmt, Prompt.due_at, Prompt.id, args["limit"],
                                     decode_cursor(args["cursor"])))


@blp.route("/prompts/<prompt_id>/ack")
class Acknowledge(MethodView):
    @login_required("agent")
    @blp.response(200, PromptSchema)
    @blp.alt_response(409, description="The prompt's status does not allow this")
    def post(self, prompt_id):
        """Acknowledge a sent prompt"""
        return ledger.move_prompt(db.session, current_user.id, prompt_id, "ack", utcnow())


@blp.route("/prompts/<prompt_id>/complete")
class Complete(MethodView):
    @login_required("agent")
    @blp.response(200, PromptSchema)
    @blp.alt_response(409, description="The prompt's status does not allow this")
    def post(self, prompt_id):
        """Mark a sent or acknowledged prompt's exercise done"""
        return ledger.move_prompt(db.session, current_user.id, prompt_id, "complete", utcnow())


@blp.route("/prompts/<prompt_id>/dismiss")
class Dismiss(MethodView):
    @login_required("agent")
    @blp.response(200, PromptSchema)
    @blp.alt_response(409, description="The prompt's status does not allow this")
    def post(self, prompt_id):
        """Dismiss a prompt that is not yet answered"""
        return ledger.move_prompt(db.session, current_user.id, prompt_id, "dismiss", utcnow())


@blp.route("/prompts/<prompt_id>/snooze")
class Snooze(MethodView):
    @login_required("agent")
    @blp.arguments(SnoozeSchema)
    @blp.response(200, PromptSchema)
    @blp.alt_response(409, description="The prompt's status does not allow this")
    @blp.alt_response(429, description="The prompt was snoozed three times already")
    def post(self, body, prompt_id):
        """Snooze a sent prompt for 1-60 minutes: it comes back then, with a fresh validity"""
        return ledger.move_prompt(db.session, current_user.id, prompt_id, "snooze", utcnow(), body["minutes"])


@blp.route("/prompts/<prompt_id>/opened")
class Opened(MethodView):
    @login_required("agent")
    @blp.arguments(OpenedSchema)
    @blp.response(200, PromptSchema)
    def post(self, body, prompt_id):
        """The phone showed the prompt (idempotent: the first report's time stays)"""
        return ledger.mark_opened(db.session, current_user.id, prompt_id, body.get("device_id"), utcnow())
