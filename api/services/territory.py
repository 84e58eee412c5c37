"""The service territory: where partners may apply (default: Russia, with a coast buffer).

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

__all__ = ["DEFAULT_OUTLINE", "Territory", "load_territory"]

#: the bundled outline (the map's): GeoJSON FeatureCollection, Russia is ``role == "russia"``
DEFAULT_OUTLINE = (
    Path(__file__).resolve().parents[2] / "maps" / "static" / "vendor" / "world-atlas"
    / "outline.geojson"
)  # fmt: skip
#: metres per degree of latitude (near enough for a buffer)
_M_PER_DEG = 111_320.0


class Territory:
    """Where the service takes applications.

    Parameters
    ----------
    area : the territory, WGS84 lon/lat polygons (already widened)
    name : how messages name it (e.g. ``Russia``)
    """

    def __init__(self, area: BaseGeometry, name: str) -> None:
        self.area = area
        self.name = name
        shapely.prepare(self.area)

    def contains(self, lat: float, lon: float) -> bool:
        """Whether ``(lat, lon)`` (WGS84 degrees) lies in the territory."""
        return bool(shapely.contains_xy(self.area, lon, lat))

    def contains_many(self, lat: Any, lon: Any) -> npt.NDArray[np.bool_]:
        """Whether each ``(lat, lon)`` (arrays of WGS84 degrees) lies in the territory."""
        return np.asarray(shapely.contains_xy(self.area, np.asarray(lon), np.asarray(lat)))

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
        raise InputError(f"cannot read the territory outline: {exc}", source=str(path)) from None
    if gdf.crs is not None:
        gdf = gdf.to_crs(4326)
    geoms = [_split(g) for g in gdf.geometry if g is not None and not g.is_empty]
    return shapely.union_all(geoms), path.stem


def _split(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` with its parts across 180 degrees (a jump, or longitudes in 0..360) split."""
    from geo.antimeridian import crosses_antimeridian, split_antimeridian

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
        raise InputError(f"{path}: the territory outline is empty")
    return Territory(area, name)
