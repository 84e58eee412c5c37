"""Build the offline base layer of the planner maps from Natural Earth (npm world-atlas).

Reads the TopoJSON countries files of world-atlas and writes one small GeoJSON
FeatureCollection: Russia at 1:50m (``role: "russia"``) and the other
countries at 1:110m (``role: "world"``), coordinates rounded to 0.01 degree.
Russia's longitudes below 0 and other countries' polygons wholly west of
-100 degrees are shifted by +360 so that Chukotka is drawn
next to the rest of Russia (the maps use the same rule for points).

Usage: python scripts/build_outline.py countries-50m.json countries-110m.json out.geojson
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RUSSIA = "643"
ANTARCTICA = "010"
UNWRAP_BELOW_LON = -100.0


def _arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        out.append(pts)
    return out


def _ring(arcs: list[list[tuple[float, float]]], refs: list[int], digits: int) -> list[list[float]]:
    ring: list[tuple[float, float]] = []
    for r in refs:
        pts = arcs[r] if r >= 0 else arcs[~r][::-1]
        ring.extend(pts if not ring else pts[1:])
    coords: list[list[float]] = []
    for lon, lat in ring:
        p = [round(lon, digits), round(lat, digits)]
        if not coords or coords[-1] != p:
            coords.append(p)
    return coords if len(coords) >= 4 else []


def _polygons(
    topo: dict[str, Any], geom: dict[str, Any], digits: int, *, russia: bool
) -> list[Any]:
    arcs = _arcs(topo)
    polys = [geom["arcs"]] if geom["type"] == "Polygon" else geom["arcs"]
    out = []
    for poly in polys:
        rings = [r for r in (_ring(arcs, refs, digits) for refs in poly) if r]
        if russia:  # Russia has nothing west of 0 but Chukotka: shift vertex by vertex
            rings = [[[p[0] + 360.0 if p[0] < 0 else p[0], p[1]] for p in r] for r in rings]
        elif rings and max(p[0] for p in rings[0]) < UNWRAP_BELOW_LON:  # wholly west: shift
            rings = [[[p[0] + 360.0, p[1]] for p in r] for r in rings]
        if rings:
            out.append(rings)
    return out


def build(fine: Path, coarse: Path) -> dict[str, Any]:
    """The outline FeatureCollection from the 1:50m and 1:110m world-atlas files."""
    features = []
    for path, want_russia, digits in ((fine, True, 2), (coarse, False, 1)):
        topo = json.loads(path.read_text())
        for geom in topo["objects"]["countries"]["geometries"]:
            if (
                (geom.get("id") == RUSSIA) != want_russia
                or "arcs" not in geom
                or geom.get("id") == ANTARCTICA
            ):
                continue
            polys = _polygons(topo, geom, digits, russia=want_russia)
            if not polys:
                continue
            features.append({
                "type": "Feature",
                "properties": {"name": geom.get("properties", {}).get("name"),
                               "role": "russia" if want_russia else "world"},
                "geometry": {"type": "MultiPolygon", "coordinates": polys},
            })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


if __name__ == "__main__":
    fine_path, coarse_path, out_path = (Path(a) for a in sys.argv[1:4])
    fc = build(fine_path, coarse_path)
    Path(out_path).write_text(json.dumps(fc, separators=(",", ":")))
    print(f"{len(fc['features'])} features -> {out_path}")
