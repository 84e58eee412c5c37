"""``pvz settlements build``: settlement boundary polygons from an OpenStreetMap extract."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from api import wording
from api.cli import command, command_group, say

__all__ = ["build"]

log = logging.getLogger(__name__)

settlements_app = command_group(
    "settlements", "Settlement boundary polygons: build them from OpenStreetMap for --boundaries."
)


@command("build", group=settlements_app)
def build(
    osm_file: Path = typer.Argument(..., help="OpenStreetMap extract: .osm.pbf, .osm or "
                                    ".osm.xml (e.g. Geofabrik's russia-latest.osm.pbf)."),
    out: Path = typer.Option(..., "-o", "--out", help="Output .gpkg or .geojson, for "
                             "--boundaries / PVZ_BOUNDARIES_PATH."),
    node_cache: str = typer.Option("flex_mem", "--node-cache", help="pyosmium node-location "
                                   "index: flex_mem (in memory) or dense_file_array,FILE (on "
                                   "disk, for little memory)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar on "
                                  "stderr."),
) -> None:  # fmt: skip
    """Build settlement boundary polygons from an OpenStreetMap extract.

    Keeps place=city/town/village/hamlet/isolated_dwelling areas, and administrative
    boundaries that are settlements (a place tag on the area or on its label node, or an
    admin_centre node of the same name).

    Columns: name, name_ru, population (0 where OSM has none), place, admin_level, osm_id
    (r123 / w456). Rings across the antimeridian are split at 180 degrees.
    """
    from data.errors import InputError
    from data.osm_boundaries import build_boundaries, write_boundaries

    if out.suffix.lower() not in (".gpkg", ".geojson", ".json"):
        raise InputError("unsupported output type {ext!r}; use .gpkg or .geojson",
                         ext=out.suffix or "(none)", source=str(out))  # fmt: skip
    gdf, stats = build_boundaries(osm_file, verbose=progress, node_cache=node_cache,
                                  desc=wording.say("reading {name}", name=osm_file.name),
                                  unit=wording.say(" objects"))  # fmt: skip
    write_boundaries(gdf, out)
    mb_s = stats.bytes_read / 1e6 / max(stats.seconds, 1e-9)
    say("{summary} ({speed:.1f} MB/s) -> {out}", summary=stats.message(), speed=mb_s, out=out)
