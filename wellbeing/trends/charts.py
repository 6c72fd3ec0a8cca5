"""A team's published series as a PNG or SVG chart, keyed by a strong ETag and kept in a small cache."""
from __future__ import annotations

import threading
from collections import OrderedDict

from wellbeing import charts

_CACHE: OrderedDict[str, bytes] = OrderedDict()
_CACHE_SIZE = 256
_LOCK = threading.Lock()


def chart_title(team_name: str, metric: str, lang: str) -> str:
    return f"{team_name} · {charts.TEXT[lang]['metrics'][metric]}"


def trend_points(points: list[dict]) -> list[charts.TrendPoint]:
    return [charts.TrendPoint(p["period_start"], p["period_end"], p["status"], p["value"], p["margin"])
            for p in points]


def chart_etag(points: list[dict], metric: str, title: str, lang: str, fmt: str) -> str:
    """The ETag of the chart these inputs draw (computed without drawing)."""
    return charts.chart_etag("team_trend", {"series": trend_points(points), "metric": metric, "title": title},
                             lang, fmt)


def team_chart(points: list[dict], metric: str, title: str, lang: str, fmt: str) -> tuple[str, bytes]:
    """(ETag, image bytes); published cells are frozen, so equal inputs always draw the same bytes."""
    etag = chart_etag(points, metric, title, lang, fmt)
    with _LOCK:
        if etag in _CACHE:
            _CACHE.move_to_end(etag)
            return etag, _CACHE[etag]
    image = charts.trend_chart(trend_points(points), lang, fmt, title, metric)
    with _LOCK:
        _CACHE[etag] = image
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return etag, image
