"""Schemas of the support page: help resources in the caller's language."""
import marshmallow as ma
from marshmallow import fields

from api.assessments.schemas import ResourceSchema


class SupportPageSchema(ma.Schema):
    """Where to turn: the organization's own lines, then the national ones of its country."""

    language = fields.String(metadata={"description": "en or zh-CN"})
    country = fields.String(allow_none=True, metadata={
        "description": "ISO 3166-1 alpha-2 code of the organization's country, whose national lines follow "
                       "(null: none)"})
    message = fields.String(metadata={"description": "A short, calm text to show above the resources"})
    privacy = fields.String(metadata={"description": "What reading this page and using these lines reveals: nothing"})
    resources = fields.List(fields.Nested(ResourceSchema), metadata={
        "description": "The organization's own lines first (in their order), then the national ones"})
    self_referral = fields.Nested(ResourceSchema, allow_none=True, metadata={
        "description": "Agents: the offer to self-refer (POST /me/counseling); null for other roles"})
