"""Settlement boundary polygons from a GeoPackage or GeoJSON file, validated completely on load.

:func:`load_boundaries` reads the file, checks every feature and returns a
GeoDataFrame in EPSG:4326 that :class:`geo.settlements.SettlementLookup` can
trust: ``name`` (non-empty text), ``population`` (int64 >= 0), ``geometry``
(valid Polygon/MultiPolygon with longitudes in [-180, 180]; rings across the
antimeridian split at 180 degrees by :func:`geo.antimeridian.split_antimeridian`),
plus any other columns of the file (``name_ru``, when present, is filled with
``name`` where blank). Every problem is an :class:`data.errors.InputError`
naming the file, the feature (1-based row and its name) and the column, so a
bad file stops the CLI (exit code 2) and the server's start, not a later check.

Populations are whole numbers of people. Text is accepted when it is digits,
optionally grouped by threes with a space, a no-break space (U+00A0), a thin
space (U+2009), a narrow no-break space (U+202F) or a comma: ``"1 500 000"``,
``"12,345"``. Anything else (``"abc"``, ``"1,5"``, ``"1500.5"``) is refused.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from data.errors import InputError, Message
from geo.antimeridian import crossing_mask, split_antimeridian
from geo.settlements import SettlementLookup

__all__ = [
    "MAX_POPULATION",
    "load_boundaries",
    "parse_population",
    "settlements_from_polygon_file",
    "validate_boundaries",
]

log = logging.getLogger(__name__)

#: populations at or above this are refused (no settlement has a billion people; it also
#: keeps the value within int64)
MAX_POPULATION = 1_000_000_000
_SEP = " ,\u00a0\u2009\u202f"
_GROUPED = re.compile(rf"^\d{{1,3}}(?:[{_SEP}]\d{{3}})+$")
_PLAIN = re.compile(r"^[+]?\d+$")


def parse_population(value: Any) -> int | None:
    """A population as an int, or None when ``value`` is not a whole number.

    Integers pass as they are (negative ones too: the caller decides); floats
    only when whole; text when it is digits, optionally grouped by threes with
    spaces (plain, no-break, thin, narrow no-break) or commas. Missing values
    (None, NaN, blank text) give None.

    Examples
    --------
    >>> [parse_population(v) for v in ("1 500 000", "12,345", "640", 7.0, "abc", "1,5", "")]
    [1500000, 12345, 640, 7, None, None, None]
    """
    if value is None or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return int(f) if math.isfinite(f) and f.is_integer() else None
    text = str(value).strip()
    if text.startswith("-") and _PLAIN.match(text[1:]):
        return -int(text[1:])
    if _PLAIN.match(text):
        return int(text)
    if _GROUPED.match(text):
        return int(re.sub(rf"[{_SEP}]", "", text))
    return None


def load_boundaries(path: str | Path) -> gpd.GeoDataFrame:
    """Read and validate settlement boundaries (GeoPackage, GeoJSON or any OGR vector file).

    Parameters
    ----------
    path : the file; any CRS (reprojected to EPSG:4326; none declared: EPSG:4326)

    Returns
    -------
    GeoDataFrame in EPSG:4326: ``name`` (str), ``population`` (int64 >= 0),
    valid (Multi)Polygon ``geometry`` within longitudes [-180, 180], and the
    file's other columns.

    Raises
    ------
    InputError : the file is missing, empty or unreadable, or a feature is bad;
        the message names the file, the row (1-based feature number and name)
        and the column
    """
    p = Path(path)
    src = str(p)
    if not p.is_file():
        raise InputError("file not found", source=src)
    if p.stat().st_size == 0:
        raise InputError("the file is empty", source=src)
    try:
        with warnings.catch_warnings(record=True) as caught:  # mixed types: checked below
            warnings.simplefilter("always")
            gdf = gpd.read_file(p)
        for w in caught:
            log.debug("%s: %s", src, w.message)
    except Exception as exc:  # pyogrio's DataSourceError, ValueError, ...
        raise InputError("not a readable GeoPackage/GeoJSON file ({why})", why=exc,
                         source=src) from None  # fmt: skip
    return validate_boundaries(gdf, source=src)


def settlements_from_polygon_file(places: pd.DataFrame, path: str | Path) -> SettlementLookup:
    """A settlement lookup of ``places`` plus the boundary polygons of a GeoPackage or GeoJSON.

    The file is validated completely first (:func:`load_boundaries`: ``name``, whole
    non-negative ``population``, valid polygons, reprojected to EPSG:4326, split at the
    antimeridian); a bad file raises :class:`data.errors.InputError` naming the file,
    feature and column.
    """
    return SettlementLookup(places, polygons=load_boundaries(path))


#: (0-based row, column, what is wrong)
_Problem = tuple[int, str, Message]


def _first_bad(problems: list[_Problem], names: list[str], source: str) -> None:
    """Raise for the earliest (row, column, message), counting the other bad rows."""
    if not problems:
        return
    row, column, message = min(problems, key=lambda t: t[0])
    name = names[row]
    where = Message(" (feature {name!r})", name=name) if name else ""
    rows = {r for r, _, _ in problems}
    more = Message("; {n:,} more bad feature(s)", n=len(rows) - 1) if len(rows) > 1 else ""
    raise InputError("{message}{where}{more}", message=message, where=where, more=more,
                     source=source, row=row + 1, column=column)  # fmt: skip


def _check_values(gdf: pd.DataFrame, names: list[str], source: str) -> npt.NDArray[np.int64]:
    problems: list[_Problem] = []
    for i, n in enumerate(names):
        if not n:
            problems.append((i, "name", Message("the name is empty")))
    pops = np.zeros(len(gdf), dtype=np.int64)
    for i, raw in enumerate(gdf["population"].tolist()):
        v = parse_population(raw)
        if v is None:
            missing = raw is None or raw is pd.NA or (isinstance(raw, float) and math.isnan(raw))
            missing = missing or (isinstance(raw, str) and not raw.strip())
            msg = (Message("the population is missing") if missing
                   else Message("not a whole number of people: {value!r}", value=raw))  # fmt: skip
            problems.append((i, "population", msg))
        elif v < 0:
            problems.append((i, "population", Message("must be >= 0, got {value}", value=v)))
        elif v >= MAX_POPULATION:
            problems.append((i, "population", Message("must be below {max:,}, got {value:,}",
                                                      max=MAX_POPULATION, value=v)))  # fmt: skip
        else:
            pops[i] = v
    _first_bad(problems, names, source)
    return pops


def _check_geometry(geoms: npt.NDArray[np.object_], names: list[str], source: str) -> None:
    problems: list[_Problem] = []
    missing = shapely.is_missing(geoms)
    types = shapely.get_type_id(geoms)
    for i in np.flatnonzero(missing):
        problems.append((int(i), "geometry", Message("the geometry is missing")))
    for i in np.flatnonzero(~missing & shapely.is_empty(geoms)):
        problems.append((int(i), "geometry", Message("the geometry is empty")))
    polygonal = np.isin(types, [3, 6])  # Polygon, MultiPolygon
    for i in np.flatnonzero(~missing & ~shapely.is_empty(geoms) & ~polygonal):
        kind = geoms[i].geom_type
        what = Message("must be a Polygon or MultiPolygon, got {kind}", kind=kind)
        problems.append((int(i), "geometry", what))
    _first_bad(problems, names, source)
    xy, idx = shapely.get_coordinates(geoms, return_index=True)
    bad = ~np.isfinite(xy).all(axis=1) | (np.abs(xy[:, 1]) > 90.0) | (np.abs(xy[:, 0]) > 540.0)
    for i in np.unique(idx[bad]):
        x, y = xy[idx == i][0]
        what = Message("coordinates are not longitude/latitude degrees (a vertex at {x:g}, "
                       "{y:g}): is the file's CRS declared?", x=float(x), y=float(y))  # fmt: skip
        problems.append((int(i), "geometry", what))
    _first_bad(problems, names, source)


def validate_boundaries(gdf: gpd.GeoDataFrame, *, source: str = "boundaries") -> gpd.GeoDataFrame:
    """Check boundaries read from ``source`` feature by feature (see :func:`load_boundaries`).

    A table without a geometry column (a CSV or spreadsheet read by OGR as a plain
    table) is refused with ``not a vector file with polygons: ...``.
    """
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.active_geometry_name is None:
        have = ", ".join(str(c) for c in gdf.columns) or "none"
        raise InputError(
            "not a vector file with polygons: it has no geometry (columns found: {have}); "
            "use a GeoPackage or GeoJSON of settlement polygons with name and population",
            have=have,
            source=source,
        )
    missing_cols = [c for c in ("name", "population") if c not in gdf.columns]
    if missing_cols:
        have = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name) or "none"
        raise InputError("missing required column(s): {missing} (columns found: {found})",
                         missing=", ".join(missing_cols), found=have,
                         source=source)  # fmt: skip
    if len(gdf) == 0:
        raise InputError("the file has no features", source=source)
    gdf = gdf.reset_index(drop=True)
    names = ["" if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
             else str(v).strip() for v in gdf["name"].tolist()]  # fmt: skip
    pops = _check_values(gdf, names, source)
    try:
        if gdf.crs is None:
            gdf = gdf.set_crs("EPSG:4326")
        elif not gdf.crs.equals("EPSG:4326"):
            gdf = gdf.to_crs("EPSG:4326")
    except Exception as exc:  # pyproj.CRSError
        raise InputError("cannot reproject to EPSG:4326 ({why})", why=exc,
                         source=source) from None  # fmt: skip
    geoms = shapely.force_2d(gdf.geometry.to_numpy())
    _check_geometry(geoms, names, source)
    problems: list[_Problem] = []
    crossing = crossing_mask(geoms)
    for i in np.flatnonzero(crossing):
        try:
            geoms[i] = split_antimeridian(geoms[i])
        except ValueError as exc:
            problems.append((int(i), "geometry", Message("not a valid polygon: {why}", why=exc)))
    _first_bad(problems, names, source)
    invalid = ~shapely.is_valid(geoms)
    for i in np.flatnonzero(invalid):
        why = shapely.is_valid_reason(geoms[i])
        problems.append((int(i), "geometry", Message("not a valid polygon: {why}", why=why)))
    _first_bad(problems, names, source)
    out = gdf.copy()
    out["name"] = pd.Series(names, index=out.index)
    out["population"] = pops
    if "name_ru" in out.columns:
        ru = out["name_ru"].fillna("").astype(str).str.strip()
        out["name_ru"] = ru.where(ru != "", out["name"])
    geom_col = out.geometry.name
    out = gpd.GeoDataFrame(
        out.drop(columns=geom_col),
        geometry=gpd.GeoSeries(geoms, index=out.index, crs="EPSG:4326", name="geometry"),
    )
    if crossing.any():
        log.info("%s: %d feature(s) split at the antimeridian", source, int(crossing.sum()))
    return out
