"""WGS84 bounding boxes ``minlon, minlat, maxlon, maxlat``: parsing and membership, across 180.

A box with ``minlon > maxlon`` crosses the antimeridian (Chukotka: ``172,62,-169,72``).
"""

from __future__ import annotations

import math
import re

import numpy as np
import numpy.typing as npt

from data.errors import InputError

__all__ = ["BBox", "in_bbox", "parse_bbox"]

BBox = tuple[float, float, float, float]

#: a plain decimal number: ASCII digits, optional sign, point and exponent; nothing else
#: (``float`` would also read ``1_0`` as 10, ``" 1"``, ``"١"`` and ``"inf"``)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_bbox(text: str | None, *, name: str = "bbox", empty_ok: bool = True) -> BBox | None:
    """``minlon,minlat,maxlon,maxlat`` in WGS84 degrees; None when ``text`` is None.

    Parameters
    ----------
    text : the four numbers, comma-separated, each a plain decimal number (ASCII digits,
        optional sign, point and exponent; no spaces or underscores)
    name : what the caller calls it (``bbox`` for a query parameter, ``--bbox`` for a CLI
        option), in the messages
    empty_ok : accept ``minlat == maxlat`` (a box of no height)

    Raises
    ------
    InputError : not four finite numbers, out of range, or ``minlat > maxlat``
    """
    if text is None:
        return None
    column = None if name.startswith("-") else name
    parts = text.split(",")
    vals = [float(v) for v in parts] if all(_NUMBER.fullmatch(v) for v in parts) else []
    if len(vals) != 4 or not all(math.isfinite(v) for v in vals):
        raise InputError("{name} must be four numbers minlon,minlat,maxlon,maxlat, got {text!r}",
                         name=name, text=text, column=column)  # fmt: skip
    minlon, minlat, maxlon, maxlat = vals
    if not (-180 <= minlon <= 180 and -180 <= maxlon <= 180):
        raise InputError("{name} longitudes must be in [-180, 180]", name=name, column=column)
    if not (-90 <= minlat <= maxlat <= 90) or (not empty_ok and minlat == maxlat):
        rel = "<=" if empty_ok else "<"
        raise InputError("{name} latitudes must be in [-90, 90] with minlat {rel} maxlat",
                         name=name, rel=rel, column=column)  # fmt: skip
    return minlon, minlat, maxlon, maxlat


def in_bbox(lat: npt.ArrayLike, lon: npt.ArrayLike, bbox: BBox | None) -> npt.NDArray[np.bool_]:
    """Which points (WGS84 degrees) lie inside ``bbox`` (edges included); all when None."""
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    if bbox is None:
        return np.ones(la.size, dtype=bool)
    minlon, minlat, maxlon, maxlat = bbox
    inlat = (la >= minlat) & (la <= maxlat)
    if minlon <= maxlon:
        return inlat & (lo >= minlon) & (lo <= maxlon)
    return inlat & ((lo >= minlon) | (lo <= maxlon))  # across the antimeridian
