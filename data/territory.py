"""The service territory: where the network works (default: Russia, with a coast buffer).

One definition for every caller: the API refuses an application or a check outside it
(422, :meth:`Territory.require`), and the CLI's file readers (:func:`data.io.read_points`)
warn about rows outside it (:meth:`Territory.contains_many`: a 1-degree grid in front of
the prepared outline, so a million rows take tens of milliseconds). The outline file stays
where the map needs it and is read from there by path.
The default outline is the bundled Natural Earth outline of Russia the map draws
(``maps/static/vendor/world-atlas/outline.geojson``, feature ``role == "russia"``): it
holds Kaliningrad and Crimea, and Chukotka is already split at 180 degrees (parts on both
sides). Its coast is simplified (about 1-10 km off the real one), so the outline is
widened by ``buffer_m`` (default 10 km): a point on a pier or a small island is in.
A configured outline (``PVZ_TERRITORY_PATH``: any GeoJSON/GeoPackage polygon layer
GDAL reads, WGS84; rings across 180 degrees are split as settlement boundaries are) is
used instead, and widened by the same buffer.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from data.errors import InputError
from geo.antimeridian import crosses_antimeridian, split_antimeridian

__all__ = ["DEFAULT_OUTLINE", "Territory", "in_territory", "load_territory"]

#: the bundled outline (the map's): GeoJSON FeatureCollection, Russia is ``role == "russia"``
DEFAULT_OUTLINE = (
    Path(__file__).resolve().parents[1] / "maps" / "static" / "vendor" / "world-atlas"
    / "outline.geojson"
)  # fmt: skip
#: metres per degree of latitude (near enough for a buffer)
_M_PER_DEG = 111_320.0
#: side of the lookup grid's cells, degrees (Russia: about 3,600 cells touch the territory)
_CELL_DEG = 1.0
#: a grid cell wholly outside, wholly inside (its closed box), or on the border
_OUT, _IN, _BORDER = 0, 1, 2


class Territory:
    """Where the service works: the API takes applications and checks inside it, the CLI
    warns about rows outside it.

    Parameters
    ----------
    area : the territory, WGS84 lon/lat polygons (already widened)
    name : how messages name it (e.g. ``Russia``)
    """

    def __init__(self, area: BaseGeometry, name: str) -> None:
        self.area = area
        self.name = name
        shapely.prepare(self.area)
        self._grid: tuple[float, float, npt.NDArray[np.int8]] | None = None

    def contains(self, lat: float, lon: float) -> bool:
        """Whether ``(lat, lon)`` (WGS84 degrees) lies in the territory."""
        return bool(shapely.contains_xy(self.area, lon, lat))

    def contains_many(self, lat: Any, lon: Any) -> npt.NDArray[np.bool_]:
        """Whether each ``(lat, lon)`` (arrays of WGS84 degrees) lies in the territory; NaN
        is outside. The same answer as :meth:`contains` for each point: a 1-degree grid
        answers the points in cells wholly inside or outside, the prepared outline the rest
        (points near the border), so a million points in a city take tens of milliseconds."""
        x = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        y = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        x0, y0, grid = self._cells()
        i = np.floor((y - y0) / _CELL_DEG)
        j = np.floor((x - x0) / _CELL_DEG)
        on = (i >= 0) & (i < grid.shape[0]) & (j >= 0) & (j < grid.shape[1])  # NaN: False
        code = np.full(x.shape, _OUT, dtype=np.int8)
        code[on] = grid[i[on].astype(np.intp), j[on].astype(np.intp)]
        out = code == _IN
        near = code == _BORDER
        out[near] = shapely.contains_xy(self.area, x[near], y[near])
        return out.reshape(np.shape(np.asarray(lat)))

    def _cells(self) -> tuple[float, float, npt.NDArray[np.int8]]:
        """``(min lon, min lat, grid)``: each 1-degree cell over the territory's bounds as
        ``_OUT``, ``_IN`` (the closed box lies in the interior) or ``_BORDER``; built once."""
        if self._grid is None:
            minx, miny, maxx, maxy = self.area.bounds
            x0, y0 = (
                math.floor(minx / _CELL_DEG) * _CELL_DEG,
                math.floor(miny / _CELL_DEG) * _CELL_DEG,
            )
            xs = np.arange(x0, maxx + _CELL_DEG, _CELL_DEG)
            ys = np.arange(y0, maxy + _CELL_DEG, _CELL_DEG)
            bx, by = np.meshgrid(xs, ys)
            boxes = shapely.box(bx, by, bx + _CELL_DEG, by + _CELL_DEG)
            grid = np.where(shapely.intersects(self.area, boxes), _BORDER, _OUT).astype(np.int8)
            touch = grid == _BORDER
            grid[touch] = np.where(shapely.contains_properly(self.area, boxes[touch]), _IN, _BORDER)
            self._grid = (x0, y0, grid)
        return self._grid

    def require(self, lat: float, lon: float, *, language: str = "ru") -> None:
        """Nothing if ``(lat, lon)`` lies inside; else :class:`InputError` (422): outside
        the territory, saying the coordinates look swapped when ``(lon, lat)`` lies inside.
        """
        if self.contains(lat, lon):
            return
        swapped = -90.0 <= lon <= 90.0 and self.contains(lon, lat)
        if language == "en":
            msg = f"({lat}, {lon}) lies outside the service territory ({self.name})"
            if swapped:
                msg += (f"; ({lon}, {lat}) lies inside: the latitude and longitude look "
                        "swapped (lat is north-south, about 41-82 in Russia)")  # fmt: skip
        else:
            msg = f"точка ({lat}, {lon}) вне территории работы сервиса ({self.name})"
            if swapped:
                msg += (f"; точка ({lon}, {lat}) внутри: похоже, широта и долгота перепутаны "
                        "местами (широта в России примерно от 41 до 82)")  # fmt: skip
        raise InputError(msg, column="lat")


def _read(path: Path) -> tuple[BaseGeometry, str]:
    if path == DEFAULT_OUTLINE:
        data = json.loads(path.read_text(encoding="utf-8"))
        feats = [f for f in data["features"] if f["properties"].get("role") == "russia"]
        parts = [_split(shape(f["geometry"])) for f in feats]
        return shapely.union_all(parts), "Россия"
    import geopandas as gpd

    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # GDAL's many errors: say which file
        raise InputError(
            "cannot read the territory outline: {error}", error=str(exc), source=str(path)
        ) from None
    if gdf.crs is not None:
        gdf = gdf.to_crs(4326)
    geoms = [_split(g) for g in gdf.geometry if g is not None and not g.is_empty]
    return shapely.union_all(geoms), path.stem


def _split(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` with its parts across 180 degrees (a jump, or longitudes in 0..360) split."""
    return split_antimeridian(geom) if crosses_antimeridian(geom) else geom


def load_territory(path: Path | None = None, *, buffer_m: float = 10_000.0) -> Territory:
    """The territory from ``path`` (default: the bundled outline of Russia), widened by
    ``buffer_m`` metres (north-south exact; east-west the same angle, so a little less
    in the north). Cached per ``(path, buffer_m)``."""
    return _load(DEFAULT_OUTLINE if path is None else Path(path), float(buffer_m))


@lru_cache(maxsize=4)
def _load(path: Path, buffer_m: float) -> Territory:
    area, name = _read(path)
    if buffer_m > 0:
        area = shapely.buffer(area, buffer_m / _M_PER_DEG, quad_segs=2)
    if area.is_empty or not math.isfinite(area.area):
        raise InputError("the territory outline is empty", source=str(path))
    return Territory(area, name)


def in_territory(lat: Any, lon: Any) -> npt.NDArray[np.bool_]:
    """Whether each ``(lat, lon)`` (WGS84 degrees, arrays or scalars) lies in the default
    territory (:func:`load_territory` with no path: the bundled outline of Russia, 10 km
    buffer); NaN and out-of-range coordinates are outside."""
    return load_territory().contains_many(lat, lon)
