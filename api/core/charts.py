"""Chart responses: one conditional GET for every chart route (strong ETag from the inputs, 304 without drawing)."""
from __future__ import annotations

from collections.abc import Callable

from flask import Response, request

from wellbeing.core.charts import CONTENT_TYPES


def chart_response(etag: str, fmt: str, draw: Callable[[], bytes]) -> Response:
    """The chart `draw` makes, or 304 when If-None-Match already holds `etag` (weak comparison, as RFC 9110 says).

    `etag` must be computed from everything the chart shows, so it is known before any drawing.
    """
    headers = {"Cache-Control": "private, no-cache", "Vary": "Accept-Language, Authorization"}
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304, headers=headers)
    else:
        response = Response(draw(), mimetype=CONTENT_TYPES[fmt], headers=headers)
    response.set_etag(etag)
    return response
