"""The extension instances, unbound (the app factory initialises each one), and our Blueprint."""
import flask_smorest
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from webargs.flaskparser import FlaskParser

from api.errors import ProblemApi


class StrictParser(FlaskParser):
    """Query strings obey the schema's ``unknown`` (RAISE) instead of silently dropping unknown keys."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None}


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the strict argument parser."""

    ARGUMENTS_PARSER = StrictParser()


api = ProblemApi()
jwt = JWTManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
migrate = Migrate(render_as_batch=True, compare_type=True)
