"""Chart plumbing every feature's charts share: fonts, one figure at a time, byte-stable rendering, ETags."""
from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import date
from typing import Any, Literal

import matplotlib
import pylopdf_fonts_zh_cn
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from wellbeing.core.language import LANGUAGES, Language

Format = Literal["png", "svg"]
CONTENT_TYPES: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}
# Bump whenever the drawing changes, so ETags computed from the inputs change with the bytes.
CHART_VERSION = "2"

# The bundled Noto Sans SC makes Chinese render on any machine, with no system fonts and no download.
font_manager.fontManager.addfont(str(pylopdf_fonts_zh_cn.sans_path()))
_RC = {
    "font.family": ["DejaVu Sans", "Noto Sans SC"],  # Latin from DejaVu; CJK glyphs fall back to Noto
    "svg.fonttype": "path",  # glyphs as outlines: the SVG needs no font on the viewer's side
    "svg.hashsalt": "wellbeing-charts",  # fixed ids, so the same data gives the same SVG bytes
    # Titles and labels carry user text (team names, notes): "$" is a dollar sign, never the start of TeX math
    # (mathtext would fail on an unbalanced "$\frac{a$" and turn every viewer's chart into a 500).
    "text.parse_math": False,
}
# matplotlib's global state (rcParams, font cache) is not thread-safe; charts render one at a time.
_LOCK = threading.Lock()


def chart_etag(kind: str, data: Any, lang: Language, fmt: Format) -> str:
    """A strong ETag from a chart's inputs (pass everything drawn, titles included); unquoted, for set_etag."""
    inputs = {"version": CHART_VERSION, "matplotlib": matplotlib.__version__,
              "font": pylopdf_fonts_zh_cn.__version__, "kind": kind, "lang": lang, "fmt": fmt, "data": data}
    canonical = json.dumps(inputs, default=_jsonable, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot fingerprint {type(value).__name__} for an ETag")


def checked_text(texts: dict[str, dict[str, Any]], lang: str, fmt: str) -> dict[str, Any]:
    """A chart's strings in `lang`, after checking that the language and format are supported."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"unsupported chart format {fmt!r}")
    return texts[lang]


@contextmanager
def figure(layout: str | None = "constrained") -> Iterator[Figure]:
    """A fresh figure under the lock and the shared style; cleared on exit."""
    with _LOCK, matplotlib.rc_context(_RC):
        fig = Figure(figsize=(8, 4.5), dpi=100, layout=layout)
        FigureCanvasAgg(fig)
        try:
            yield fig
        finally:
            fig.clear()  # drop every artist now rather than leaving the figure to the garbage collector


def render(fig: Figure, fmt: Format, title: str) -> bytes:
    """The figure as PNG or SVG bytes."""
    # No date and no version stamp in the file: identical inputs give identical bytes (ETag-safe).
    metadata = {"Title": title, "Date": None} if fmt == "svg" else {"Software": None}
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


def draw_empty(ax: Axes, message: str) -> None:
    """A blank chart that says why it is blank."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=14, color="#555555")
