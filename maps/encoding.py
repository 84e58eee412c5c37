"""Compact columnar encoding of many map features for the canvas layers (``pvz-canvas.js``).

A blob is a JSON object: coordinates as base64 little-endian int32 microdegrees
(about 0.1 m), a class index per feature (uint8, colour and legend entry), and
popup columns as codes into a table of distinct display strings (uint8 or
uint16), ``PREFIX000123``-style ids as int32 numbers, or a plain list of
strings. 250,000 points with ten popup columns take about 8 MB.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["display_strings", "encode_column", "encode_features"]

_ID_RE = re.compile(r"^(\D*)(\d{1,9})$")


def _b64(arr: npt.NDArray[Any]) -> str:
    return base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode("ascii")


def _fmt(v: Any) -> str:
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, float | np.floating):
        if not math.isfinite(float(v)):
            return ""
        f = float(v)
        return str(int(f)) if f.is_integer() and abs(f) < 1e15 else f"{f:.6g}"
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat() if v == v.normalize() else v.isoformat()
    return str(v)


def display_strings(values: pd.Series | Sequence[Any]) -> list[str]:
    """How values show in popups: '' for missing, yes/no for booleans, compact numbers."""
    return [_fmt(v) for v in (values.tolist() if isinstance(values, pd.Series) else values)]


def encode_column(name: str, values: pd.Series | Sequence[Any], *, label: str | None = None
                  ) -> dict[str, Any]:  # fmt: skip
    """One popup column: codes into distinct strings, numeric ids, or a list of strings."""
    text = display_strings(values)
    spec: dict[str, Any] = {"name": name, "label": label or name}
    codes, uniques = pd.factorize(pd.Series(text, dtype=object), sort=False)
    if len(uniques) <= 65536 and (len(uniques) < 0.5 * len(text) or len(text) < 64):
        width = 1 if len(uniques) <= 256 else 2
        dtype = "<u1" if width == 1 else "<u2"
        spec.update(enc="codes", width=width, values=[str(u) for u in uniques],
                    data=_b64(codes.astype(dtype)))  # fmt: skip
        return spec
    matches = [_ID_RE.match(t) for t in text]
    if all(matches):
        prefixes = {m.group(1) for m in matches if m}
        widths = {len(m.group(2)) for m in matches if m}
        nums = [m.group(2) for m in matches if m]
        padded = len(widths) == 1
        if len(prefixes) == 1 and (padded or not any(n.startswith("0") for n in nums)):
            spec.update(enc="idnum", prefix=prefixes.pop(), width=widths.pop() if padded else 0,
                        data=_b64(np.array([int(n) for n in nums], dtype="<i4")))  # fmt: skip
            return spec
    spec.update(enc="list", data=text)
    return spec


def encode_features(
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    *,
    classes: Sequence[Mapping[str, str]],
    cls: npt.ArrayLike | None = None,
    radius_m: npt.ArrayLike | None = None,
    columns: Mapping[str, pd.Series | Sequence[Any]] | None = None,
    labels: Mapping[str, str] | None = None,
    title: str = "",
    formats: Mapping[str, str] | None = None,
    locale: str | None = None,
) -> dict[str, Any]:
    """A blob for ``L.pvz.points``.

    Parameters
    ----------
    lat, lon : WGS84 degrees
    classes : one ``{"label", "color"[, "stroke"][, "hollow"]}`` per class (at most 256):
        fill and outline colours (``#rrggbb``); ``hollow`` (any non-empty text): a white dot
        in a ring of ``stroke``
    cls : class index of each feature (default: all 0)
    radius_m : protection radius of each feature, metres (drawn as geodesic circles)
    columns : popup columns, in order, name -> values
    labels : display labels of the columns (default: the names)
    title : popup heading
    formats : column name -> how the browser shows its values in popups, in ``locale``:
        ``int`` (whole number), ``num`` (up to 3 decimals), ``rub`` (roubles), ``date``
    locale : BCP 47 locale of those formats (``ru-RU``: ``1 234,5``, ``12 345 ₽``)
    """
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    if len(classes) > 256:
        raise ValueError("at most 256 classes")
    blob: dict[str, Any] = {
        "n": int(la.size),
        "lat": _b64(np.round(la * 1e6).astype("<i4")),
        "lon": _b64(np.round(lo * 1e6).astype("<i4")),
        "classes": [dict(c) for c in classes],
        "title": title,
    }
    if cls is not None:
        blob["cls"] = _b64(np.asarray(cls).astype("<u1"))
    if radius_m is not None:
        blob["radius"] = encode_column("radius_m", np.asarray(radius_m, dtype=np.float64).tolist())
    labels, formats = labels or {}, formats or {}
    blob["cols"] = [encode_column(k, v, label=labels.get(k)) for k, v in (columns or {}).items()]
    for spec in blob["cols"]:
        if spec["name"] in formats:
            spec["fmt"] = formats[spec["name"]]
    if locale:
        blob["locale"] = locale
    return blob
