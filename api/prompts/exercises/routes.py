"""GET /exercises."""
from __future__ import annotations

from flask.views import MethodView

from api.core.auth import login_required
from api.prompts.exercises.schemas import ExerciseListSchema
from api.core.extensions import Blueprint
from api.core.language import request_language
from wellbeing.prompts.exercises import list_exercises

blp = Blueprint("exercises", __name__, url_prefix="/exercises", description="Breathing and break exercises")


@blp.route("")
class Exercises(MethodView):
    @login_required()
    @blp.response(200, ExerciseListSchema)
    def get(self):
        """Breathing and break exercises with their steps and timings, in the caller's language"""
        return {"items": list_exercises(request_language())}
