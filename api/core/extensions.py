"""The extension instances, unbound (the app factory initialises each one), and our Blueprint."""
import json

import flask_smorest
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from webargs.flaskparser import FlaskParser

from api.core.errors import PROBLEM, ProblemApi, ProblemSchema


class StrictParser(FlaskParser):
    """Query strings obey the schema's ``unknown`` (RAISE) instead of silently dropping unknown keys."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None}

    def _raw_load_json(self, req):
        # json.loads raises RecursionError (not a ValueError) on a body nested ~1,000 deep, which fits
        # easily in the size cap: answer it as the invalid JSON it is (400), not as a crash (500).
        # (A non-empty doc: webargs reads an empty one as "no body".)
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise json.JSONDecodeError("The JSON body is nested too deeply.", "<deep>", 0) from None


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the strict argument parser."""

    ARGUMENTS_PARSER = StrictParser()

    def response(self, status_code, schema=None, *, content_type=None, **kwargs):
        """Document the main answer; a binary one (an image) is described as bytes of its media type."""
        if schema is None and content_type and "json" not in content_type:
            schema = {"type": "string", "format": "binary"}
        return super().response(status_code, schema, content_type=content_type, **kwargs)

    def alt_response(self, status_code, response=None, *, schema=None, content_type=None, **kwargs):
        """Document another answer; an error (4xx, 5xx) is always a problem+json body unless told otherwise."""
        if response is None and int(status_code) >= 400:
            schema = schema or ProblemSchema
            content_type = content_type or PROBLEM
        return super().alt_response(status_code, response, schema=schema, content_type=content_type, **kwargs)

    def arguments(self, schema, **kwargs):
        # One schema instance per route, made here: given a class, webargs would build one on every request.
        instance = schema() if isinstance(schema, type) else schema
        # A body none of whose fields is required may be left out (webargs then loads {}): the document says so,
        # so that a client generated from it may omit the body exactly when the service accepts that.
        if kwargs.get("location", "json") == "json" and "required" not in kwargs:
            kwargs["required"] = any(field.required for field in instance.fields.values())
        return super().arguments(instance, **kwargs)


api = ProblemApi()
jwt = JWTManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
migrate = Migrate(render_as_batch=True, compare_type=True)
