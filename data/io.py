"""Read and write point tables as CSV, GeoJSON or GeoPackage (by file extension).

Tables have columns ``id, lat, lon`` (WGS84 degrees) and optional
``radius_m, kind, status`` and feature columns. Geographic formats carry the
location as point geometry (any CRS; converted to EPSG:4326). Every problem is
an :class:`data.errors.InputError` naming the file, row and column; writers are
atomic (a temporary file renamed over the target), so a failure leaves no
partial output.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from data.errors import InputError

__all__ = ["FORMATS", "atomic_path", "read_points", "read_table", "write_table"]

#: file extension -> format name
FORMATS = {".csv": "csv", ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg"}


def _format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"unsupported file type {path.suffix or '(none)'!r}; use one of "
            + ", ".join(sorted(FORMATS)),
            source=str(path),
        )
    return fmt


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table by extension; geographic files get ``lat, lon`` from point geometry.

    All non-geometry columns are read as they are stored (CSV: as strings, so
    that ids keep leading zeros and bad numbers can be reported by row).
    """
    p = Path(path)
    fmt = _format_of(p)
    if not p.is_file():
        raise InputError("file not found", source=str(p))
    if p.stat().st_size == 0:
        raise InputError("the file is empty", source=str(p))
    if fmt == "csv":
        try:
            df = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise InputError(f"not a readable CSV file ({exc})", source=str(p)) from None
        df.columns = [str(c).strip() for c in df.columns]
        return df
    return _read_geo(p)


def _read_geo(p: Path) -> pd.DataFrame:
    import geopandas as gpd

    try:
        gdf = gpd.read_file(p)
    except Exception as exc:  # pyogrio raises its own DataSourceError, ValueError, ...
        raise InputError(f"not a readable {p.suffix} file ({exc})", source=str(p)) from None
    if "geometry" not in gdf or gdf.geometry.isna().all():
        if {"lat", "lon"} <= set(gdf.columns):
            return pd.DataFrame(gdf.drop(columns="geometry", errors="ignore"))
        raise InputError("no point geometry and no lat/lon columns", source=str(p))
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    geom = gdf.geometry
    bad = ~(geom.geom_type == "Point") & geom.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"geometry must be a Point, got {geom.iloc[i].geom_type}",
            source=str(p), row=i + 1, column="geometry",
        )  # fmt: skip
    df = pd.DataFrame(gdf.drop(columns="geometry"))
    has = geom.notna().to_numpy()
    df["lat"] = np.where(has, geom.y.where(has), np.nan) if len(df) else []
    df["lon"] = np.where(has, geom.x.where(has), np.nan) if len(df) else []
    return df


def _numeric(df: pd.DataFrame, col: str, source: str, *, required: bool) -> pd.Series:
    """Column as float; blank cells are NaN; non-numbers raise naming the row."""
    raw = df[col]
    if raw.dtype == object or pd.api.types.is_string_dtype(raw):
        text = raw.astype(str).str.strip()
        blank = text.eq("") | raw.isna()
        num = pd.to_numeric(text.where(~blank), errors="coerce")
        bad = num.isna() & ~blank & ~text.str.lower().isin(["nan", "+nan", "-nan"])
    else:
        num = pd.to_numeric(raw, errors="coerce")
        blank = raw.isna()
        bad = num.isna() & ~blank
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"not a number: {raw.iloc[i]!r}", source=source, row=i + 1, column=col)
    nan = num.isna() | ~np.isfinite(num.astype(float))
    if required and nan.any():
        i = int(np.flatnonzero(nan.to_numpy())[0])
        raise InputError("a number is required (missing or NaN)", source=source, row=i + 1,
                         column=col)  # fmt: skip
    return num.astype(float)


def read_points(
    path: str | Path,
    *,
    kinds: Iterable[str] | None = None,
    statuses: Iterable[str] | None = None,
    allow_status: bool = True,
) -> pd.DataFrame:
    """Read and validate a points or candidates table.

    Returns a frame with ``id`` (str), ``lat``, ``lon`` (float, WGS84 degrees),
    ``radius_m`` (float, NaN where missing) and ``kind``/``status`` when present
    (``None`` where blank), plus any other columns as read.

    Raises
    ------
    InputError : missing columns, an empty table, NaN or out-of-range
        coordinates, a bad radius, duplicate ids, unknown kinds or statuses.
    """
    p = Path(path)
    src = str(p)
    df = read_table(p)
    missing = [c for c in ("id", "lat", "lon") if c not in df.columns]
    if missing:
        raise InputError(f"missing required column(s): {', '.join(missing)}", source=src)
    if df.empty:
        raise InputError("the table has no rows", source=src)
    out = df.copy()
    ids = out["id"].astype(str).str.strip()
    blank_id = ids.eq("") | out["id"].isna() | ids.eq("nan")
    if blank_id.any():
        i = int(np.flatnonzero(blank_id.to_numpy())[0])
        raise InputError("the id is empty", source=src, row=i + 1, column="id")
    dup = ids.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        first = int(np.flatnonzero(ids.eq(ids.iloc[i]).to_numpy())[0])
        raise InputError(f"duplicate id {ids.iloc[i]!r} (first at row {first + 1})",
                         source=src, row=i + 1, column="id")  # fmt: skip
    out["id"] = ids
    for col, limit in (("lat", 90.0), ("lon", 180.0)):
        v = _numeric(out, col, src, required=True)
        bad = v.abs() > limit
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"must be within [-{limit:g}, {limit:g}], got {v.iloc[i]:g}",
                             source=src, row=i + 1, column=col)  # fmt: skip
        out[col] = v
    if "radius_m" in out.columns:
        r = _numeric(out, "radius_m", src, required=False)
        bad = (r <= 0) | (r > 50_000)
        if bad.any():
            i = int(np.flatnonzero(bad.fillna(False).to_numpy())[0])
            raise InputError(f"must be in (0, 50000] metres, got {r.iloc[i]:g}",
                             source=src, row=i + 1, column="radius_m")  # fmt: skip
        out["radius_m"] = r
    else:
        out["radius_m"] = np.nan
    for col, allowed in (("kind", kinds), ("status", statuses)):
        if col not in out.columns:
            continue
        if col == "status" and not allow_status:
            continue
        vals = out[col].astype(object).where(out[col].notna(), "")
        vals = vals.map(lambda x: str(x).strip().lower())
        if allowed is not None:
            ok = set(allowed)
            bad = ~vals.isin(ok) & vals.ne("")
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(f"unknown {col} {vals.iloc[i]!r}; expected one of "
                                 + ", ".join(sorted(ok)), source=src, row=i + 1,
                                 column=col)  # fmt: skip
        out[col] = pd.Series([v or None for v in vals], index=out.index, dtype=object)
    return out.reset_index(drop=True)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same extension); rename it over ``path`` when the
    block ends without error, delete it otherwise: readers see the old file or the whole new
    one, never a part. Creates the parent folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # drivers such as GPKG refuse to open an existing empty file
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_table(df: pd.DataFrame, path: str | Path, *, layer: str | None = None) -> None:
    """Write a table by extension, atomically. Geographic formats need ``lat, lon`` columns.

    Rows without coordinates (for example an audit pair table) can only be
    written as CSV.
    """
    p = Path(path)
    fmt = _format_of(p)
    if fmt != "csv" and not {"lat", "lon"} <= set(df.columns):
        raise InputError("this table has no lat/lon columns: write it as .csv", source=str(p))
    with atomic_path(p) as tmp:
        if fmt == "csv":
            df.to_csv(tmp, index=False)
        else:
            import geopandas as gpd

            gdf = gpd.GeoDataFrame(
                df.drop(columns=["lat", "lon"]),
                geometry=gpd.points_from_xy(df["lon"], df["lat"]),
                crs="EPSG:4326",
            )
            driver = "GPKG" if fmt == "gpkg" else "GeoJSON"
            gdf.to_file(tmp, driver=driver, layer=layer or p.stem if fmt == "gpkg" else None)
