"""GET /emotions."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import fields

from api.core.auth import login_required
from api.core.extensions import Blueprint
from api.core.language import request_language
from wellbeing.diary.vocabulary import vocabulary

blp = Blueprint("emotions", __name__, url_prefix="/emotions", description="The diary's vocabularies")


class TermSchema(ma.Schema):
    """One vocabulary key with its label in the response language (emotions also carry their valence)."""

    key = fields.String()
    label = fields.String()
    valence = fields.String(metadata={"description": "Emotions only: positive, neutral or negative"})


class VocabularySchema(ma.Schema):
    """Every key a diary entry may use, by kind."""

    emotions = fields.List(fields.Nested(TermSchema))
    triggers = fields.List(fields.Nested(TermSchema))
    signals = fields.List(fields.Nested(TermSchema), metadata={"description": "Body and mood signals"})
    coping = fields.List(fields.Nested(TermSchema), metadata={"description": "What the agent did about it"})


@blp.route("")
class Emotions(MethodView):
    @login_required()
    @blp.response(200, VocabularySchema)
    def get(self):
        """The emotion, trigger, signal and coping vocabularies in the caller's language (Accept-Language)"""
        return vocabulary(request_language())
