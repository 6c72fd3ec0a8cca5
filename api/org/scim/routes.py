"""/scim/v2: ServiceProviderConfig, ResourceTypes, Schemas, Users and Groups (teams)."""
from __future__ import annotations

import flask
import marshmallow as ma
from flask import g
from flask.views import MethodView
from marshmallow import fields, validate
from scim2_models import Context, Group

from api.core.extensions import Blueprint
from api.org.scim.protocol import (
    SCIM_JSON,
    base_url,
    body,
    handle_error,
    list_response,
    response_parameters,
    scim_response,
    token_required,
)
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.org.scim import groups, resources, users
from wellbeing.org.scim.common import ScimError

blp = Blueprint("scim", __name__, url_prefix="/scim/v2", description="SCIM 2.0 provisioning (RFC 7643, RFC 7644); "
                "answers and errors are application/scim+json")
blp.register_error_handler(Exception, handle_error)

@token_required
def _search_everything():
    raise ScimError("Searching several resource types at once is not supported.", 501)


# RFC 7644 3.4.3: POST /.search across resource types is optional; left out of OpenAPI.
flask.Blueprint.add_url_rule(blp, "/.search", "search_everything", _search_everything, methods=["POST"])

DOCUMENTATION = "https://datatracker.ietf.org/doc/html/rfc7644"
OBJECT = {"type": "object", "additionalProperties": True}


def _answers(*codes: int, created: bool = False) -> dict:
    """The documented answers of a SCIM operation: SCIM documents and SCIM errors."""
    content = {SCIM_JSON: {"schema": OBJECT}}
    descriptions = {200: "The SCIM document", 201: "Created: the new resource", 204: "Deleted",
                    400: "SCIM error (scimType invalidValue, invalidFilter, invalidSyntax)",
                    401: "SCIM error: no or wrong SCIM token", 404: "SCIM error: no such resource",
                    409: "SCIM error (scimType uniqueness)", 415: "SCIM error: not a JSON body"}
    return {"responses": {str(code): {"description": descriptions[code], **({"content": content} if code != 204 else {})}
                          for code in (201 if created else 200, *codes)}}


def _request_body() -> dict:
    return {"requestBody": {"required": True, "content": {SCIM_JSON: {"schema": OBJECT}, "application/json": {
        "schema": OBJECT}}}}


class ListQuerySchema(ma.Schema):
    """RFC 7644 3.4.2: filter (eq only), paging, and the attributes to return."""

    class Meta:
        unknown = ma.RAISE

    filter = fields.String(validate=validate.Length(max=1000), metadata={"example": 'userName eq "ana@example.com"'})
    start_index = fields.Integer(data_key="startIndex", validate=validate.Range(min=-(2**31), max=2**31))
    count = fields.Integer(validate=validate.Range(min=-(2**31), max=2**31))
    attributes = fields.String(validate=validate.Length(max=1000))
    excluded_attributes = fields.String(data_key="excludedAttributes", validate=validate.Length(max=1000))


class ReadQuerySchema(ma.Schema):
    """RFC 7644 3.9: the attributes to return."""

    class Meta:
        unknown = ma.RAISE

    attributes = fields.String(validate=validate.Length(max=1000))
    excluded_attributes = fields.String(data_key="excludedAttributes", validate=validate.Length(max=1000))


def _dump_discovery(document) -> dict:
    return document.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


@blp.route("/ServiceProviderConfig", endpoint="service_provider_config")
@blp.doc(**_answers(401))
@token_required
def service_provider_config():
    """What this SCIM service supports"""
    return scim_response(_dump_discovery(resources.service_provider_config(DOCUMENTATION)))


@blp.route("/ResourceTypes", endpoint="resource_types")
@blp.doc(**_answers(401))
@token_required
def resource_types():
    """The resource types (User, Group)"""
    documents = [_resource_type(kind) for kind in resources.resource_types()]
    return scim_response(list_response(len(documents), 1, documents))


def _resource_type(kind) -> dict:
    document = _dump_discovery(kind)
    document["meta"] = {"resourceType": "ResourceType", "location": f"{base_url()}/ResourceTypes/{kind.id}"}
    return document


@blp.route("/ResourceTypes/<name>", endpoint="resource_type")
@blp.doc(**_answers(401, 404))
@token_required
def resource_type(name):
    """One resource type"""
    for kind in resources.resource_types():
        if kind.id == name:
            return scim_response(_resource_type(kind))
    raise ScimError("No such resource type.", 404)


def _schema(schema) -> dict:
    document = _dump_discovery(schema)
    document["meta"] = {"resourceType": "Schema", "location": f"{base_url()}/Schemas/{schema.id}"}
    return document


@blp.route("/Schemas", endpoint="schemas")
@blp.doc(**_answers(401))
@token_required
def schemas():
    """The schemas of User, Group and the wellbeing extension (role, platform ids)"""
    documents = [_schema(schema) for schema in resources.schemas()]
    return scim_response(list_response(len(documents), 1, documents))


@blp.route("/Schemas/<schema_id>", endpoint="schema")
@blp.doc(**_answers(401, 404))
@token_required
def schema(schema_id):
    """One schema"""
    for found in resources.schemas():
        if found.id == schema_id:
            return scim_response(_schema(found))
    raise ScimError("No such schema.", 404)


@blp.route("/Users")
class Users(MethodView):
    @token_required
    @blp.arguments(ListQuerySchema, location="query", error_status_code=400)
    @blp.doc(**_answers(400, 401))
    def get(self, query):
        """List users (filter userName eq "...", startIndex, count)"""
        total, start, found = users.list_users(db.session, g.scim_org_id, query.get("filter"),
                                               query.get("start_index"), query.get("count"), base_url())
        parameters = response_parameters(resources.ExtendedUser, query)
        return scim_response(list_response(total, start, [users.dump(user, **parameters) for user in found]))

    @token_required
    @blp.doc(**_request_body(), **_answers(400, 401, 409, 415, created=True))
    def post(self):
        """Provision a user (no password: they sign in by SSO or accept an invitation)"""
        created = users.create_user(db.session, g.scim_org_id, body(), base_url(), utcnow())
        return scim_response(users.dump(created), 201, {"Location": created.meta.location})


@blp.route("/Users/<user_id>")
class UserResource(MethodView):
    @token_required
    @blp.arguments(ReadQuerySchema, location="query", error_status_code=400)
    @blp.doc(**_answers(400, 401, 404))
    def get(self, query, user_id):
        """One user"""
        found = users.get_user(db.session, g.scim_org_id, user_id, base_url())
        return scim_response(users.dump(found, **response_parameters(resources.ExtendedUser, query)))

    @token_required
    @blp.doc(**_request_body(), **_answers(400, 401, 404, 409, 415))
    def put(self, user_id):
        """Replace a user (active false deactivates)"""
        return scim_response(users.dump(users.replace_user(db.session, g.scim_org_id, user_id, body(), base_url(),
                                                           utcnow())))

    @token_required
    @blp.doc(**_request_body(), **_answers(400, 401, 404, 409, 415))
    def patch(self, user_id):
        """Change a user with PatchOp operations (active false deactivates)"""
        return scim_response(users.dump(users.patch_user(db.session, g.scim_org_id, user_id, body(), base_url(),
                                                         utcnow())))

    @token_required
    @blp.doc(**_answers(401, 404))
    def delete(self, user_id):
        """Delete a user: deactivated now, wellbeing data erased after the organization's retention"""
        users.delete_user(db.session, g.scim_org_id, user_id, utcnow())
        return "", 204


@blp.route("/Groups")
class Groups(MethodView):
    @token_required
    @blp.arguments(ListQuerySchema, location="query", error_status_code=400)
    @blp.doc(**_answers(400, 401))
    def get(self, query):
        """List groups (teams; filter displayName eq "...")"""
        total, start, found = groups.list_groups(db.session, g.scim_org_id, query.get("filter"),
                                                 query.get("start_index"), query.get("count"), base_url())
        parameters = response_parameters(Group, query)
        return scim_response(list_response(total, start, [groups.dump(group, **parameters) for group in found]))

    @token_required
    @blp.doc(**_request_body(), **_answers(400, 401, 409, 415, created=True))
    def post(self):
        """Create a team; its members move into it now"""
        created = groups.create_group(db.session, g.scim_org_id, body(), base_url(), utcnow())
        return scim_response(groups.dump(created), 201, {"Location": created.meta.location})


@blp.route("/Groups/<team_id>")
class GroupResource(MethodView):
    @token_required
    @blp.arguments(ReadQuerySchema, location="query", error_status_code=400)
    @blp.doc(**_answers(400, 401, 404))
    def get(self, query, team_id):
        """One team as a group"""
        found = groups.get_group(db.session, g.scim_org_id, team_id, base_url())
        return scim_response(groups.dump(found, **response_parameters(Group, query)))

    @token_required
    @blp.doc(**_request_body(), **_answers(400, 401, 404, 409, 415))
    def put(self, team_id):
        """Replace a team's name and members (moves take effect now)"""
        return scim_response(groups.dump(groups.replace_group(db.session, g.scim_org_id, team_id, body(), base_url(),
                                                              utcnow())))

    @token_required
    @blp.doc(**_request_body(), **_answers(400, 401, 404, 409, 415))
    def patch(self, team_id):
        """Add or remove members, rename (PatchOp)"""
        return scim_response(groups.dump(groups.patch_group(db.session, g.scim_org_id, team_id, body(), base_url(),
                                                            utcnow())))

    @token_required
    @blp.doc(**_answers(401, 404))
    def delete(self, team_id):
        """Delete a team from the directory: its people leave it now; its history stays"""
        groups.delete_group(db.session, g.scim_org_id, team_id, utcnow())
        return "", 204
