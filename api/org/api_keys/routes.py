"""POST, GET /api-keys; DELETE /api-keys/{id}."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_jwt_extended import current_user
from api.core.extensions import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from api.core.auth import login_required
from api.core.idempotency import created, fingerprint
from api.core.schemas import ClientId, RequestSchema, UTCDateTime
from wellbeing.org import identity
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.core.errors import NotFound
from wellbeing.models import ApiKey

blp = Blueprint("api_keys", __name__, url_prefix="/api-keys", description="Organization API keys")


class ApiKeyCreateSchema(RequestSchema):
    """A new API key."""

    id = ClientId()
    name = fields.String(load_default="", validate=validate.Length(max=200))


class ApiKeySchema(ma.Schema):
    """An API key; ``key`` is present only in the answer to its creation."""

    id = fields.String()
    name = fields.String()
    prefix = fields.String(metadata={"description": "The key's first characters, to recognise it"})
    key = fields.String(metadata={"description": "The secret, shown once"})
    created_at = UTCDateTime()
    revoked_at = UTCDateTime(allow_none=True)


class ApiKeyListSchema(ma.Schema):
    """The organization's API keys (never their secrets)."""

    items = fields.List(fields.Nested(ApiKeySchema))
    next_cursor = fields.String(allow_none=True)


@blp.route("")
class ApiKeys(MethodView):
    @login_required("admin")
    @blp.arguments(ApiKeyCreateSchema)
    @blp.response(201, ApiKeySchema)
    @blp.alt_response(200, schema=ApiKeySchema, description="Replay: the key without its secret")
    def post(self, data):
        """Create an API key (the key is shown once)"""
        key_id = str(data["id"]) if data["id"] else None
        key, plaintext = identity.create_api_key(
            db.session, current_user.org_id, data["name"], key_id, fingerprint(data), utcnow())
        body = {field: getattr(key, field) for field in ("id", "name", "prefix", "created_at", "revoked_at")}
        if plaintext:
            body["key"] = plaintext
        return created(body, plaintext is not None)

    @login_required("admin")
    @blp.response(200, ApiKeyListSchema)
    def get(self):
        """The organization's API keys"""
        keys = db.session.scalars(select(ApiKey).where(ApiKey.org_id == current_user.org_id).order_by(ApiKey.created_at))
        return {"items": list(keys), "next_cursor": None}


@blp.route("/<key_id>")
class ApiKeyById(MethodView):
    @login_required("admin")
    @blp.response(204)
    def delete(self, key_id):
        """Revoke an API key"""
        key = db.session.get(ApiKey, key_id)
        if key is None or key.org_id != current_user.org_id:
            raise NotFound("No such API key.")
        identity.revoke_api_key(db.session, key, utcnow())
