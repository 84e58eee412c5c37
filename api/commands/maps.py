"""``pvz map``: write a self-contained, offline HTML map of the network."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import typer

from api import wording
from api.cli import (
    ALLOW_OUTSIDE_OPT,
    ENCODING_OPT,
    SEP_OPT,
    SHEET_OPT,
    command,
    read_options,
    say,
    warn,
)
from api.commands.protection import BOUNDS_OPT, POLICY_OPT
from api.commands.scoring import parse_bbox
from api.loaders import load_policy, load_settlements
from data.errors import InputError
from data.io import read_points

__all__ = ["map_cmd"]

log = logging.getLogger(__name__)


def _read_zones(path: Path) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise InputError("file not found", source=str(path))
    try:
        zones = gpd.read_file(path)
    except Exception as exc:
        raise InputError("not a readable GeoJSON/GeoPackage of zones: {why}", why=exc,
                         source=str(path)) from None  # fmt: skip
    if zones.geometry is None or zones.geometry.isna().all():
        raise InputError("the zones have no geometry", source=str(path))
    return zones


@command("map")
def map_cmd(
    points: Path = typer.Argument(..., help="Points: id, lat, lon [, radius_m, kind, status, "
                                  "settlement, opened_on, ...] (.csv, .geojson, .gpkg)."),
    out: Path = typer.Option(..., "-o", "--out", help="Output .html (one self-contained file)."),
    candidates: Path | None = typer.Option(None, "--candidates", help="Candidates (`pvz score` "
                                           ".geojson output): id, lat, lon [, ...]."),
    whitespace: Path | None = typer.Option(None, "--whitespace", help="White-space zones "
                                           "(.geojson/.gpkg from `pvz whitespace`)."),
    audit: bool = typer.Option(False, "--audit", help="Draw every pair of live points that "
                               "violates the protection rule."),
    region: str | None = typer.Option(None, "--region", help="Crop to a settlement by name "
                                      "(Latin or Cyrillic), e.g. Kazan or Казань."),
    bbox: str | None = typer.Option(None, "--bbox", help="Crop to minlon,minlat,maxlon,maxlat "
                                    "(degrees)."),
    tiles: str | None = typer.Option(None, "--tiles", help="Base map tile URL template "
                                     "({z}/{x}/{y}; 'osm' for OpenStreetMap) or 'none' for the "
                                     "bundled outline only; default: PVZ_TILE_URL (OpenStreetMap)."
                                     " Offline, the outline shows where tiles fail."),
    attribution: str | None = typer.Option(None, "--attribution", help="Attribution of the "
                                           "tiles; default: PVZ_TILE_ATTRIBUTION."),
    no_demand: bool = typer.Option(False, "--no-demand", help="Leave out the demand heat layer."),
    lang: str | None = typer.Option(None, "--lang", help="Language of the map's labels, legend "
                                    "and popups: ru (Russian number format) or en; default: "
                                    "PVZ_LANGUAGE (ru)."),
    policy: Path | None = POLICY_OPT,
    boundaries: Path | None = BOUNDS_OPT,
    sep: str | None = SEP_OPT,
    encoding: str | None = ENCODING_OPT,
    sheet: str | None = SHEET_OPT,
    allow_outside: bool = ALLOW_OUTSIDE_OPT,
) -> None:  # fmt: skip
    """Write an HTML map: points by kind and status, geodesic protection circles (zoomed in),
    candidates by score with their decision, audit conflicts, white space, demand heat.

    The file opens offline (Leaflet and the outline of Russia are inlined; base map tiles, by
    default OpenStreetMap's, load when online and the outline shows where they fail); 250,000
    points take about 9 MB.
    """
    from maps.planner import build_map, save_map

    if region is not None and bbox is not None:
        raise InputError("give either --region or --bbox, not both")
    if out.suffix.lower() not in (".html", ".htm"):
        raise InputError("the map is HTML: use a .html output, got {name!r}", name=out.name,
                         source=str(out))  # fmt: skip
    from api.settings import get_settings

    settings = get_settings()
    lang = (lang or wording.language()).strip().lower()
    if lang not in ("ru", "en"):
        raise InputError("--lang must be ru or en, got {lang!r}", lang=lang)
    if tiles is None:
        tiles, attribution = settings.tile_url, attribution or settings.tile_attribution
    if tiles.strip().lower() in ("", "none", "off"):
        tiles = None
    box = parse_bbox(bbox)
    pol = load_policy(policy)
    read = read_options(sep, encoding, sheet, allow_outside)
    pts = read_points(points, **read)
    cand = read_points(candidates, allow_status=False, **read) if candidates else None
    zones = _read_zones(whitespace) if whitespace is not None else None
    m = build_map(pts, candidates=cand, whitespace=zones, audit=audit, region=region, bbox=box,
                  tiles=tiles, attribution=attribution, demand=not no_demand, policy=pol,
                  settlements=load_settlements(boundaries),
                  lang="en" if lang == "en" else "ru")  # fmt: skip
    size = save_map(m, out)
    drawn = m.drawn
    where = (wording.say(" in {region}", region=region) if region
             else (wording.say(" in the bbox") if box else ""))  # fmt: skip
    parts = [wording.say("{drawn:,} of {total:,} points drawn{where}", drawn=drawn["points"],
                         total=len(pts), where=where)]  # fmt: skip
    if cand is not None:
        parts.append(wording.say("{drawn:,} of {total:,} candidates", drawn=drawn["candidates"],
                                 total=len(cand)))  # fmt: skip
    if audit:
        parts.append(wording.say("{n:,} audit conflicts", n=drawn["audit_pairs"]))
    if zones is not None:
        parts.append(wording.say("{n:,} white-space zones", n=drawn["zones"]))
    say("{parts} -> {out} ({size:.1f} MB)", parts=", ".join(parts), out=out, size=size / 1e6)
    if drawn["points"] == 0:
        warn("no point lies{where}: the map shows none",
             where=where or wording.say(" on the map"))  # fmt: skip
