"""The repository's gunicorn.conf.py: what each worker does once the app is loaded."""
from __future__ import annotations

import gc
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_a_loaded_worker_freezes_the_objects_it_holds_out_of_every_collection():
    settings = runpy.run_path(str(CONF))
    gc.unfreeze()
    tracked = len(gc.get_objects())
    try:
        settings["post_worker_init"](worker=None)
        assert gc.get_freeze_count() >= tracked // 2  # the app's modules and catalogs, not a handful
        assert len(gc.get_objects()) < tracked // 10  # what a full collection still walks
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
