"""gunicorn's settings for this service, read by any `gunicorn` started from the repository's root.

- Early answers (413, 401 before the body was read) must not break the next request on a kept-alive connection:
  the app's UnreadBodyGuard drains what it can and otherwise marks gunicorn's request to be closed, through these
  request hooks (gunicorn ignores a ``Connection`` header in a WSGI response).
- gunicorn's own answers before the app runs (400 for a malformed request, 414 for a request line over
  ``limit_request_line``, 431 for oversized header fields) are RFC 9457 problem+json like every other error.
"""
import gc

from gunicorn import util

from api.core.connections import post_request, pre_request, problem_error_page  # noqa: F401 (gunicorn hooks)

util.write_error = problem_error_page

# The request line (method, path and query) may be at most this long (gunicorn's default, named here: longer is 414).
limit_request_line = 4094


def post_worker_init(worker):
    """Freeze what the app holds once it is loaded: the modules, the OpenAPI document, the catalogs and the
    compiled statements (about 300,000 objects) are never garbage, yet each full collection walked them, stopping
    every thread of the worker for ~140 ms (measured on a 2-core machine) and putting those requests at the top of
    p99. Frozen, a full collection walks only what requests allocate."""
    gc.collect()
    gc.freeze()
