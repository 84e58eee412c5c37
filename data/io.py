"""Read and write point tables as CSV, Excel, GeoJSON or GeoPackage (by file extension).

Tables have columns ``id, lat, lon`` (WGS84 degrees) and optional
``radius_m, kind, status`` and feature columns. Files come as people have them:
CSV separated by commas, semicolons or tabs, in UTF-8 (with or without BOM) or
cp1251, with decimal commas when the separator is not a comma (Russian Excel);
``.xlsx`` workbooks (first sheet, or a named one: for every file, or per file as
``FILE.xlsx#SHEET``); column names in any case and common aliases (``latitude``,
``lng``, ``широта``, ``долгота``, ``код``...).
Ids stay text in every format (leading zeros and 20-digit GeoJSON integers
survive). Geographic formats carry the location as point geometry (any CRS;
converted to EPSG:4326). Every problem is an :class:`data.errors.InputError`
naming the file, row and column; writers are atomic (a temporary file renamed
over the target), so a failure leaves no partial output.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import logging
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from data.errors import InputError, Message
from data.outputs import CSV_ENCODING, final_mode, neutralise_frame
from data.territory import Territory, load_territory

__all__ = [
    "ALIASES",
    "FORMATS",
    "atomic_path",
    "file_format",
    "read_csv_bytes",
    "read_points",
    "read_table",
    "split_sheet",
    "write_table",
]

log = logging.getLogger(__name__)

#: file extension -> format name
FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
}

#: canonical column -> accepted names (compared case-insensitively, spaces stripped)
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "код", "номер"),
    "lat": ("lat", "latitude", "широта"),
    "lon": ("lon", "lng", "long", "longitude", "долгота"),
    "radius_m": ("radius_m",),
    "kind": ("kind",),
    "status": ("status",),
}

_SEP_NAMES = {",": ",", ";": ";", "\t": "\t", "\\t": "\t", "tab": "\t", "comma": ",",
              "semicolon": ";", "|": "|"}  # fmt: skip
_DECIMAL_COMMA = re.compile(r"\s*[-+]?\d*,\d+\s*")


def file_format(path: Path, formats: Mapping[str, str] = FORMATS, *, output: bool = False) -> str:
    """The format ``formats`` (extension -> format name) gives ``path``'s extension, compared
    in lower case: the one check of every reader and writer that goes by extension.

    Raises
    ------
    InputError
        ``unsupported file type '.ext'`` (``output``: ``unsupported output type``), naming
        the file and the extensions that work.
    """
    ext = Path(path).suffix
    fmt = formats.get(ext.lower())
    if fmt is None:
        allowed = ", ".join(sorted(formats))
        template = ("unsupported output type {ext!r}; use one of {allowed}" if output
                    else "unsupported file type {ext!r}; use one of {allowed}")  # fmt: skip
        raise InputError(template, ext=ext or "(none)", allowed=allowed,
                         source=str(path))  # fmt: skip
    return fmt


def read_table(
    path: str | Path,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> pd.DataFrame:
    """Read a table by extension; geographic files get ``lat, lon`` from point geometry.

    CSV and Excel cells are read as text (ids keep leading zeros, bad numbers are
    reported by row); numbers with a decimal comma become ``55.7558``. Columns
    named by an alias of ``id, lat, lon, radius_m, kind, status`` (any case) are
    renamed to it.

    Parameters
    ----------
    sep : CSV separator (``,``, ``;``, ``tab``); default: detected from the header line
    encoding : CSV text encoding; default: UTF-8 (BOM or not), else cp1251
    sheet : Excel sheet name or 1-based number; default: the first sheet. A path
        ``FILE.xlsx#SHEET`` names its own sheet, which wins over ``sheet``
        (:func:`split_sheet`), so that each workbook of a command can have its own sheet
    """
    p, own_sheet = split_sheet(path)
    sheet = own_sheet if own_sheet is not None else sheet
    fmt = file_format(p)
    if not p.is_file():
        raise InputError("file not found", source=str(p))
    if p.stat().st_size == 0:
        raise InputError("the file is empty", source=str(p))
    if fmt == "csv":
        return read_csv_bytes(p.read_bytes(), source=str(p), sep=sep, encoding=encoding)
    if fmt == "xlsx":
        df, decimal_comma = _read_xlsx(p, sheet=sheet), True
    elif fmt == "geojson":
        df, decimal_comma = _read_geojson(p), False
    else:
        df, decimal_comma = _read_geo(p), False
    df = _canonical_columns(df)
    if decimal_comma:
        _fix_decimal_commas(df)
    return df


def split_sheet(path: str | Path) -> tuple[Path, str | None]:
    """``"FILE.xlsx#SHEET"`` -> ``(Path("FILE.xlsx"), "SHEET")``: a workbook path with its
    own sheet (a name or a 1-based number) after ``#``; any other path (or a file that
    really is named so) -> ``(path, None)``.

    >>> split_sheet("points.xlsx#Данные")
    (PosixPath('points.xlsx'), 'Данные')
    """
    text = str(path)
    head, hash_, sheet = text.rpartition("#")
    if hash_ and sheet and head.lower().endswith(".xlsx") and not Path(text).exists():
        return Path(head), sheet
    return Path(text), None


def read_csv_bytes(
    raw: bytes, *, source: str, sep: str | None = None, encoding: str | None = None
) -> pd.DataFrame:
    """The bytes of a CSV file (an upload) read exactly as :func:`read_table` reads a
    ``.csv`` file: the same dialect detection, aliases and decimal commas.

    Raises
    ------
    InputError
        naming ``source`` (and the row where the parser can tell) for an empty or
        unreadable body.
    """
    if not raw.strip():
        raise InputError("the file is empty", source=source)
    df, decimal_comma = _read_csv(raw, source, sep=sep, encoding=encoding)
    df = _canonical_columns(df)
    if decimal_comma:
        _fix_decimal_commas(df)
    return df


def _canonical_columns(df: pd.DataFrame) -> pd.DataFrame:
    names = [str(c).strip() for c in df.columns]
    lower = [n.lower() for n in names]
    for canon, aliases in ALIASES.items():
        if canon in names:
            continue
        for alias in aliases:
            if alias in lower:
                names[lower.index(alias)] = canon
                break
    df.columns = names
    return df


def _fix_decimal_commas(df: pd.DataFrame) -> None:
    """``55,7558`` -> ``55.7558`` in every text column but ids (``id``, ``..._id``),
    in place."""
    for col in df.columns:
        if col == "id" or str(col).endswith("_id"):
            continue
        s = df[col]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s)):
            continue
        text = s.astype(str)
        if not text.str.contains(",", regex=False).any():
            continue
        hit = text.str.fullmatch(_DECIMAL_COMMA.pattern)
        if hit.any():
            df[col] = text.where(~hit, text.str.replace(",", ".", regex=False))


def _decode(raw: bytes, encoding: str | None, source: str) -> tuple[str, str]:
    """The text of a CSV file and the encoding used (given, or UTF-8/BOM, else cp1251)."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError("unknown encoding {encoding!r} (--encoding)", encoding=encoding,
                             source=source) from None  # fmt: skip
        try:
            return raw.decode(encoding).removeprefix("\ufeff"), encoding
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise InputError("not readable as {encoding}: byte {byte} on line {line}; try "
                             "--encoding cp1251 or utf-8", encoding=encoding,
                             byte=f"{raw[exc.start]:#04x}", line=line,
                             source=source) from None  # fmt: skip
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise InputError("not readable as UTF-16 (it begins with a UTF-16 byte-order "
                             "mark)", source=source) from None  # fmt: skip
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1251", errors="replace"), "cp1251"


def _sniff_sep(header: str) -> str:
    """The separator of a CSV header line: the most frequent of ``;``, tab and ``,``."""
    counts = {s: 0 for s in (";", "\t", ",")}
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def _read_csv(
    raw: bytes, src: str, *, sep: str | None, encoding: str | None
) -> tuple[pd.DataFrame, bool]:
    text, _ = _decode(raw, encoding, src)
    if sep is not None:
        if sep not in _SEP_NAMES and len(sep) != 1:
            raise InputError("--sep must be one character or 'tab', got {sep!r}", sep=sep,
                             source=src)  # fmt: skip
        sep = _SEP_NAMES.get(sep.lower() if len(sep) > 1 else sep, sep)
    else:
        sep = _sniff_sep(text.split("\n", 1)[0])
    if not text.strip():
        raise InputError("the file is empty", source=src)
    df = _parse_csv_fast(text, sep)
    if df is None:
        try:
            df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                             skipinitialspace=True)  # fmt: skip
        except pd.errors.ParserError as exc:
            m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
            if m:  # the parser counts file lines; rows are data rows (header excluded)
                raise InputError("expected {fields} fields, saw {saw} (quote values that "
                                 "contain the separator {sep!r})", fields=int(m.group(1)),
                                 saw=int(m.group(3)), sep=sep, source=src,
                                 row=int(m.group(2)) - 1) from None  # fmt: skip
            raise InputError("not a readable CSV file ({why})", why=exc, source=src) from None
        except (pd.errors.EmptyDataError, ValueError) as exc:
            raise InputError("not a readable CSV file ({why})", why=exc, source=src) from None
    df.columns = [str(c).strip() for c in df.columns]
    return df, sep != ","


def _parse_csv_fast(text: str, sep: str) -> pd.DataFrame | None:
    """Every cell as text with pyarrow's multi-threaded parser; None where it cannot
    (pyarrow missing, ragged rows, odd quoting): the caller falls back to pandas."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    try:
        header = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=sep))
    except (StopIteration, csv.Error):
        return None
    names = [h.strip() for h in header]
    if len(set(names)) != len(names) or any(n == "" for n in names):
        return None
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=sep),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    return table.to_pandas()


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isfinite(v) and v.is_integer() and abs(v) < 2**53:
            return str(int(v))
        return repr(v)
    if hasattr(v, "isoformat"):
        text = v.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(v)


def _read_xlsx(p: Path, *, sheet: str | None) -> pd.DataFrame:
    """The first (or the named/numbered) sheet of a workbook, every cell as text."""
    import openpyxl

    src = str(p)
    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException
        raise InputError("not a readable .xlsx file ({why})", why=exc, source=src) from None
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        elif sheet.isdigit() and 1 <= int(sheet) <= len(wb.worksheets):
            ws = wb.worksheets[int(sheet) - 1]
        else:
            raise InputError("no sheet {sheet!r}; sheets: {sheets}", sheet=sheet,
                             sheets=", ".join(wb.sheetnames), source=src)  # fmt: skip
        rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError("the sheet is empty", source=src)
    header = [h.strip() for h in rows[0]]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    body = [(r + [""] * width)[:width] for r in rows[1:]]
    return pd.DataFrame(body, columns=header, dtype=object)


def _id_text(v: Any) -> Any:
    return v if v is None or isinstance(v, str) else (str(v) if not isinstance(v, float)
                                                      else _cell_text(v))  # fmt: skip


def _read_geojson(p: Path) -> pd.DataFrame:
    """A GeoJSON FeatureCollection of points, parsed with ``json`` so that integer
    properties stay exact (ids above 2**63 keep every digit); other GeoJSON (a
    ``crs`` member other than WGS84, a bare geometry) goes through GDAL."""
    src = str(p)
    try:
        doc = json.loads(p.read_bytes())
    except (ValueError, UnicodeDecodeError):
        return _read_geo(p)
    crs = doc.get("crs") if isinstance(doc, dict) else None
    crs_name = (
        str((crs or {}).get("properties", {}).get("name", "")) if isinstance(crs, dict) else ""
    )
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
        or (crs is not None and not crs_name.upper().endswith(("CRS84", "4326")))
    ):
        return _read_geo(p)
    feats = doc["features"]
    props: list[dict[str, Any]] = []
    lat = np.full(len(feats), np.nan)
    lon = np.full(len(feats), np.nan)
    for i, f in enumerate(feats):
        if not isinstance(f, dict):
            raise InputError("not a GeoJSON feature", source=src, row=i + 1)
        g = f.get("geometry")
        pr = f.get("properties") or {}
        if "id" in f and "id" not in pr:
            pr = {"id": f["id"], **pr}
        props.append(pr)
        if g is None:
            continue
        if not isinstance(g, dict) or g.get("type") != "Point":
            kind = g.get("type") if isinstance(g, dict) else type(g).__name__
            raise InputError("geometry must be a Point, got {kind}", kind=kind, source=src,
                             row=i + 1, column="geometry")  # fmt: skip
        c = g.get("coordinates")
        if not c:  # an empty point
            continue
        try:
            lon[i], lat[i] = float(c[0]), float(c[1])
        except (TypeError, ValueError, IndexError):
            raise InputError("bad point coordinates {coords}", coords=repr(c), source=src,
                             row=i + 1, column="geometry") from None  # fmt: skip
    df = pd.DataFrame.from_records(props) if props else pd.DataFrame()
    df = _canonical_columns(df)
    if "id" in df.columns:  # exact text, never through float
        df["id"] = pd.Series([_id_text(v) for v in df["id"]], index=df.index, dtype=object)
    if np.isnan(lat).all() and {"lat", "lon"} <= set(df.columns):
        return df
    if len(feats) and np.isnan(lat).all():
        raise InputError("no point geometry and no lat/lon columns", source=src)
    df["lat"], df["lon"] = lat, lon
    return df


def _read_geo(p: Path) -> pd.DataFrame:
    import geopandas as gpd

    try:
        gdf = gpd.read_file(p)
    except Exception as exc:  # pyogrio raises its own DataSourceError, ValueError, ...
        raise InputError("not a readable {ext} file ({why})", ext=p.suffix, why=exc,
                         source=str(p)) from None  # fmt: skip
    if "geometry" not in gdf or gdf.geometry.isna().all():
        if {"lat", "lon"} <= {str(c).strip().lower() for c in gdf.columns}:
            return pd.DataFrame(gdf.drop(columns="geometry", errors="ignore"))
        raise InputError("no point geometry and no lat/lon columns", source=str(p))
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    geom = gdf.geometry
    bad = ~(geom.geom_type == "Point") & geom.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("geometry must be a Point, got {kind}", kind=geom.iloc[i].geom_type,
                         source=str(p), row=i + 1, column="geometry")  # fmt: skip
    df = pd.DataFrame(gdf.drop(columns="geometry"))
    has = geom.notna().to_numpy()
    df["lat"] = np.where(has, geom.y.where(has), np.nan) if len(df) else []
    df["lon"] = np.where(has, geom.x.where(has), np.nan) if len(df) else []
    return df


def _check_territory(
    lat: pd.Series, lon: pd.Series, source: str, territory: Territory
) -> Message | None:
    """Stop when the whole file looks swapped; the warning about single rows outside
    ``territory`` (the API's: :mod:`data.territory`) is returned (the caller logs it once
    the rows passed their own checks)."""
    la, lo = lat.to_numpy(float), lon.to_numpy(float)
    outside = ~territory.contains_many(la, lo)
    n_out, n = int(outside.sum()), len(la)
    if not n_out:
        return None
    swapped = np.zeros(n, dtype=bool)
    swapped[outside] = territory.contains_many(lo[outside], la[outside])
    if 2 * n_out > n and 2 * int(swapped.sum()) > n_out:
        i = int(np.flatnonzero(swapped)[0])
        raise InputError(
            "{n_out:,} of {n:,} rows lie outside Russia and {n_swapped:,} of them would lie "
            "inside with lat and lon swapped (row {at_row}: lat {lat:g}, lon {lon:g}): are "
            "the latitude and longitude columns swapped? Fix the columns, or pass "
            "--allow-outside for a network abroad",
            n_out=n_out, n=n, n_swapped=int(swapped.sum()), at_row=i + 1, lat=float(la[i]),
            lon=float(lo[i]), source=source,
        )  # fmt: skip
    rows = np.flatnonzero(outside) + 1
    shown = ", ".join(str(r) for r in rows[:20]) + (", ..." if len(rows) > 20 else "")
    return Message(
        "{file}: {n_out:,} of {n:,} row(s) lie outside Russia (rows {rows}); check them, or "
        "pass --allow-outside for a network abroad",
        file=source, n_out=n_out, n=n, rows=shown,
    )  # fmt: skip


def _arrow_floats(raw: pd.Series) -> npt.NDArray[np.float64] | None:
    """A column of text cells as float64 in one pyarrow cast (blank cells NaN); None when
    the column is not arrow text or a cell is not a plain number (the careful path then
    names the row)."""
    if not isinstance(raw.array, pd.arrays.ArrowStringArray):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.utf8_trim_whitespace(pa.array(raw.array))
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)
    try:
        vals = pc.cast(text, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    out: npt.NDArray[np.float64] = vals.to_numpy(zero_copy_only=False)
    return out


def _numeric(df: pd.DataFrame, col: str, source: str, *, required: bool) -> pd.Series:
    """Column as float; blank cells are NaN; non-numbers raise naming the row."""
    raw = df[col]
    fast = _arrow_floats(raw)
    if fast is not None:
        if required and not np.isfinite(fast).all():
            i = int(np.flatnonzero(~np.isfinite(fast))[0])
            raise InputError("a number is required (missing or NaN)", source=source, row=i + 1,
                             column=col)  # fmt: skip
        return pd.Series(fast, index=raw.index)
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
        raise InputError("not a number: {value!r}", value=raw.iloc[i], source=source, row=i + 1,
                         column=col)  # fmt: skip
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
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    allow_outside: bool = False,
    territory: Territory | None = None,
) -> pd.DataFrame:
    """Read and validate a points or candidates table.

    ``sep``, ``encoding`` and ``sheet`` are passed to :func:`read_table`. Unless
    ``allow_outside``, a file whose rows mostly lie outside the service ``territory``
    (default: Russia, :func:`data.territory.load_territory`) but would lie inside with lat
    and lon swapped is refused, and single rows outside are logged as warnings with their
    row numbers.

    Returns a frame with ``id`` (str), ``lat``, ``lon`` (float, WGS84 degrees),
    ``radius_m`` (float, NaN where missing) and ``kind``/``status`` when present
    (``None`` where blank), plus any other columns as read.

    Raises
    ------
    InputError : missing columns, an empty table, NaN or out-of-range
        coordinates, swapped coordinates, a bad radius, duplicate ids, unknown
        kinds or statuses.
    """
    p = Path(path)
    src = str(p)
    df = read_table(p, sep=sep, encoding=encoding, sheet=sheet)
    missing = [c for c in ("id", "lat", "lon") if c not in df.columns]
    if missing:
        raise InputError(
            "missing required column(s): {missing} (columns found: {found}; accepted names: "
            "{accepted})", missing=", ".join(missing), found=", ".join(map(str, df.columns)),
            accepted="; ".join(f"{c}: {', '.join(ALIASES[c])}" for c in missing), source=src,
        )  # fmt: skip
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
        raise InputError("duplicate id {id!r} (first at row {first})", id=ids.iloc[i],
                         first=first + 1, source=src, row=i + 1, column="id")  # fmt: skip
    out["id"] = ids
    coords = {col: _numeric(out, col, src, required=True) for col in ("lat", "lon")}
    # a swapped file is named as such (its latitudes may exceed 90); a bad row is reported
    # alone, without the warning about rows outside Russia (logged once all rows passed)
    warning = None
    if not allow_outside:
        area = territory if territory is not None else load_territory()
        warning = _check_territory(coords["lat"], coords["lon"], src, area)
    for col, limit in (("lat", 90.0), ("lon", 180.0)):
        v = coords[col]
        bad = v.abs() > limit
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError("must be within [-{limit:g}, {limit:g}], got {value:g}",
                             limit=limit, value=float(v.iloc[i]), source=src, row=i + 1,
                             column=col)  # fmt: skip
    out["lat"], out["lon"] = coords["lat"], coords["lon"]
    if "radius_m" in out.columns:
        r = _numeric(out, "radius_m", src, required=False)
        bad = (r <= 0) | (r > 50_000)
        if bad.any():
            i = int(np.flatnonzero(bad.fillna(False).to_numpy())[0])
            raise InputError("must be in (0, 50000] metres, got {value:g}",
                             value=float(r.iloc[i]), source=src, row=i + 1,
                             column="radius_m")  # fmt: skip
        out["radius_m"] = r
    else:
        out["radius_m"] = np.nan
    for col, allowed in (("kind", kinds), ("status", statuses)):
        if col not in out.columns:
            continue
        if col == "status" and not allow_status:
            continue
        raw = out[col]
        if not pd.api.types.is_string_dtype(raw):
            raw = raw.astype(object).where(raw.notna(), "").astype(str)
        vals = raw.fillna("").str.strip().str.lower()
        if allowed is not None:
            ok = set(allowed)
            bad = ~vals.isin(ok) & vals.ne("")
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError("unknown {field} {value!r}; expected one of {allowed}",
                                 field=col, value=vals.iloc[i], allowed=", ".join(sorted(ok)),
                                 source=src, row=i + 1, column=col)  # fmt: skip
        obj = vals.to_numpy(dtype=object, copy=True)
        obj[obj == ""] = None
        out[col] = pd.Series(obj, index=out.index, dtype=object)
    if warning is not None:  # after every check of the file's own rows
        log.warning("%s", warning)
    return out.reset_index(drop=True)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` when the block ends
    without error, delete it otherwise: readers see the old file or the whole new one,
    never a part. The temporary file has the final file's name, in a hidden temporary
    folder beside it, so that what a driver derives from the name (the GeoJSON ``name``
    member and GeoPackage layer that QGIS shows) is the final file's stem. Creates the
    parent folder. The file gets the mode the umask gives (0644 under umask 022), or keeps
    the mode of the file it replaces (:func:`data.outputs.final_mode`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent)
    tmp = Path(folder) / path.name
    try:
        yield tmp
        os.chmod(tmp, final_mode(path))
        os.replace(tmp, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _write_csv_fast(df: pd.DataFrame, path: Path, *, sep: str) -> bool:
    """Write ``df`` as pandas' ``to_csv(index=False, encoding="utf-8-sig")`` would, byte for
    byte (a UTF-8 byte-order mark first), with pyarrow's
    writer (4x faster); False (nothing written) for what it cannot mirror: cells that
    need quoting, non-text objects, odd dtypes, column names that need quoting."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return False
    special = f'[{re.escape(sep)}"\r\n]'
    names = [str(c) for c in df.columns]
    if len(df) == 0 or len(names) < 2 or len(set(names)) != len(names):
        return False
    if any(re.search(special, n) for n in names):
        return False
    cols: list[Any] = []
    for c in df.columns:
        s = df[c]
        kind = s.dtype.kind if isinstance(s.dtype, np.dtype) else "-"
        if kind == "b":
            cols.append(pa.array(np.where(s.to_numpy(), "True", "False")))
        elif kind in "iu":
            cols.append(pc.cast(pa.array(s.to_numpy()), pa.string()))
        elif kind == "f":
            v = s.to_numpy()
            if not np.isfinite(v[~np.isnan(v)]).all():
                return False
            text = pc.cast(pa.array(v, from_pandas=True), pa.string())
            plain = pc.invert(pc.match_substring_regex(text, r"[.e]"))
            text = pc.if_else(plain, pc.binary_join_element_wise(text, ".0", ""), text)
            if pc.any(pc.match_substring(text, "e")).as_py():  # exponents: pandas' own way
                return False
            cols.append(text)
        elif kind == "O" or pd.api.types.is_string_dtype(s.dtype):
            try:
                arr = pa.array(s, from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                return False
            if arr.type == pa.null():
                arr = arr.cast(pa.string())
            if arr.type not in (pa.string(), pa.large_string()):
                return False
            if pc.any(pc.match_substring_regex(arr, special)).as_py():
                return False
            cols.append(arr)
        else:
            return False
    table = pa.table(cols, names=names)
    with open(path, "wb") as f:
        f.write(codecs.BOM_UTF8 + (sep.join(names) + "\n").encode("utf-8"))
        pacsv.write_csv(table, f, write_options=pacsv.WriteOptions(
            include_header=False, delimiter=sep, quoting_style="none"))  # fmt: skip
    return True


def write_table(
    df: pd.DataFrame, path: str | Path, *, layer: str | None = None, raw_csv: bool = False
) -> None:
    """Write a table by extension, atomically. Geographic formats need ``lat, lon`` columns.

    Rows without coordinates (for example an audit pair table) can only be
    written as CSV. CSV (and ``.tsv``) is UTF-8 with a byte-order mark
    (:data:`data.outputs.CSV_ENCODING`), like the rewards' tables, so that Excel (Russian locale
    included) shows Cyrillic text; :func:`read_table`, pandas and Python's ``utf-8-sig``
    read it back unchanged. In CSV and Excel, text cells a spreadsheet would run as a formula
    (beginning with ``=``, ``+``, ``-``, ``@``, tab or CR) get a ``'`` in front
    (:func:`data.outputs.neutralise_frame`); ``raw_csv`` writes them unchanged.
    """
    p = Path(path)
    fmt = file_format(p)
    if fmt not in ("csv", "xlsx") and not {"lat", "lon"} <= set(df.columns):
        raise InputError("this table has no lat/lon columns: write it as .csv", source=str(p))
    if fmt in ("csv", "xlsx") and not raw_csv:
        df = neutralise_frame(df)
    with atomic_path(p) as tmp:
        if fmt == "csv":
            sep = "\t" if p.suffix.lower() == ".tsv" else ","
            if not _write_csv_fast(df, tmp, sep=sep):
                df.to_csv(tmp, index=False, sep=sep, encoding=CSV_ENCODING)
        elif fmt == "xlsx":
            df.to_excel(tmp, index=False)
        else:
            import geopandas as gpd

            gdf = gpd.GeoDataFrame(
                df.drop(columns=["lat", "lon"]),
                geometry=gpd.points_from_xy(df["lon"], df["lat"]),
                crs="EPSG:4326",
            )
            driver = "GPKG" if fmt == "gpkg" else "GeoJSON"
            gdf.to_file(tmp, driver=driver, layer=layer or p.stem if fmt == "gpkg" else None)
