"""Settlement boundary polygons built from an OpenStreetMap extract (``pvz settlements build``).

One pass of pyosmium over an ``.osm.pbf`` or ``.osm``/``.osm.xml`` file (two
reads of the file: relations first, then everything, as libosmium's area
assembly needs) keeps:

- ``place=*`` areas (closed ways and multipolygon relations) whose ``place`` is
  a settlement: ``city``, ``town``, ``village``, ``hamlet``, ``isolated_dwelling``;
- ``boundary=administrative`` areas that are settlements: the area itself has
  such a ``place`` tag, or its ``label`` member node has one, or its
  ``admin_centre`` member node has one *and the same name* (after dropping
  words such as "городской округ", "городское поселение", "город": a district
  whose seat is a town is not that town). The node gives the name, the place
  and, when the area has none, the population.

Each settlement becomes one row: ``name`` (``name``, else ``name:ru``),
``name_ru`` (``name:ru``, else ``name``), ``population`` (the OSM ``population``
tag parsed robustly: ``"1 500 000"``, ``"12,345"``, ``"~500"``, ``"5000 (2010)"``
-> int; missing or unreadable -> 0, counted), ``place``, ``admin_level`` (text,
empty for place areas) and ``osm_id`` (``"r123"`` for a relation, ``"w456"``
for a way), with a valid (Multi)Polygon in EPSG:4326 split at the antimeridian
(:func:`geo.antimeridian.split_antimeridian`). The table passes
:func:`data.boundaries.load_boundaries` as it is.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from tqdm import tqdm

from data.boundaries import MAX_POPULATION, parse_population, validate_boundaries
from data.errors import InputError, Message
from geo.antimeridian import crossing_mask, split_antimeridian

__all__ = [
    "OSM_SUFFIXES",
    "SETTLEMENT_PLACES",
    "BuildStats",
    "build_boundaries",
    "parse_osm_population",
    "same_settlement_name",
    "write_boundaries",
]

log = logging.getLogger(__name__)

#: ``place`` values that are settlements (населённые пункты); parts of a city
#: (``suburb``, ``quarter``, ``neighbourhood``) and ``locality`` are not
SETTLEMENT_PLACES = ("city", "town", "village", "hamlet", "isolated_dwelling")
#: suffixes of OSM files pyosmium reads
OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.xml", ".xml", ".osm.bz2", ".osm.gz")
_APPROX = re.compile(r"^(?:~|≈|ca\.?|circa|approx\.?|около|примерно|прибл\.?)\s*", re.I)
_LEADING = re.compile(r"^(\d{1,3}(?:[ ,\u00a0\u2009\u202f]\d{3})+|\d+)(?![\d.,])")
_ADMIN_WORDS = re.compile(
    r"\b(?:городской округ|городское поселение|сельское поселение|муниципальный округ|"
    r"муниципальное образование|муниципальный район|закрытое административно-"
    r"территориальное образование|зато|го|гп|сп|мо|город федерального значения|"
    r"город-курорт|город|рабочий поселок|поселок городского типа|пгт|поселок|село|"
    r"деревня|станица|аул|хутор)\b"
)


def parse_osm_population(value: str | None) -> int | None:
    """An OSM ``population`` tag as an int, or None when missing or unreadable.

    Whole numbers as :func:`data.boundaries.parse_population` reads them
    (``"1 500 000"``, ``"12,345"``), also after ``~``/``ca.``/``около`` and
    before a note (``"5000 (2010)"``, ``"1200;1300"``: the first number).

    Examples
    --------
    >>> [parse_osm_population(v) for v in ("1 500 000", "12,345", "~500", "5000 (2010)", "abc")]
    [1500000, 12345, 500, 5000, None]
    """
    if value is None:
        return None
    text = str(value).strip()
    v = parse_population(text)
    if v is None:
        m = _LEADING.match(_APPROX.sub("", text))
        v = parse_population(m.group(1)) if m else None
    return v if v is not None and 0 <= v < MAX_POPULATION else None


def _norm_name(name: str) -> str:
    text = re.sub(r"[«»\"'“”„()]", " ", name.lower().replace("ё", "е"))
    return " ".join(_ADMIN_WORDS.sub(" ", text).split())


def same_settlement_name(boundary_name: str, place_name: str) -> bool:
    """Whether a boundary's name names this place (``"городской округ Кострома"`` and
    ``"Кострома"``: yes; ``"Иультинский район"`` and ``"Эгвекинот"``: no)."""
    a, b = _norm_name(boundary_name), _norm_name(place_name)
    return bool(a) and a == b


@dataclass
class BuildStats:
    """What a build found: counts for the summary line, and the time it took."""

    settlements: int = 0
    without_population: int = 0
    unreadable_population: int = 0
    from_boundaries: int = 0
    from_place_areas: int = 0
    boundaries_skipped: int = 0
    broken_areas: int = 0
    split_at_antimeridian: int = 0
    repaired: int = 0
    objects_seen: int = 0
    seconds: float = 0.0
    bytes_read: int = 0
    examples_unreadable: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for people (English; :meth:`message` for the edge to word)."""
        return str(self.message())

    def message(self) -> Message:
        """The summary line as a :class:`~data.errors.Message`."""
        none = Message("")
        extra = none
        if self.unreadable_population:
            shown = ", ".join(repr(v) for v in self.examples_unreadable[:3])
            extra = Message(" ({n:,} of them unreadable, e.g. {shown})",
                            n=self.unreadable_population, shown=shown)  # fmt: skip
        broken = (Message("; {n:,} broken areas skipped", n=self.broken_areas)
                  if self.broken_areas else none)  # fmt: skip
        return Message(
            "{settlements:,} settlements ({from_boundaries:,} from administrative boundaries, "
            "{from_areas:,} from place areas), {without:,} without population (population 0)"
            "{extra}; {split:,} split at the antimeridian; {skipped:,} non-settlement "
            "boundaries skipped{broken}; {seconds:.1f} s",
            settlements=self.settlements, from_boundaries=self.from_boundaries,
            from_areas=self.from_place_areas, without=self.without_population, extra=extra,
            split=self.split_at_antimeridian, skipped=self.boundaries_skipped, broken=broken,
            seconds=self.seconds,
        )  # fmt: skip


@dataclass
class _Node:
    name: str
    name_ru: str
    place: str
    population: str | None


@dataclass
class _Area:
    osm_id: str
    tags: dict[str, str]
    wkb: bytes


_TAG_KEYS = ("name", "name:ru", "place", "population", "boundary", "admin_level")


def _collector(progress: tqdm[Any]) -> Any:
    import osmium

    class Collector(osmium.SimpleHandler):
        """Place nodes, boundary relations' label/admin_centre members, and settlement areas."""

        def __init__(self) -> None:
            super().__init__()
            self.nodes: dict[int, _Node] = {}
            self.members: dict[int, tuple[list[int], list[int]]] = {}
            self.areas: list[_Area] = []
            self.broken = 0
            self.seen = 0
            self._wkb = osmium.geom.WKBFactory()

        def _tick(self) -> None:
            self.seen += 1
            if self.seen % 1000 == 0:
                progress.update(1000)

        def node(self, n: Any) -> None:
            self._tick()
            place = n.tags.get("place")
            if place in SETTLEMENT_PLACES:
                name = n.tags.get("name") or n.tags.get("name:ru") or ""
                self.nodes[n.id] = _Node(name, n.tags.get("name:ru") or name, place,
                                         n.tags.get("population"))  # fmt: skip

        def relation(self, r: Any) -> None:
            self._tick()
            if r.tags.get("boundary") != "administrative":
                return
            label = [m.ref for m in r.members if m.type == "n" and m.role == "label"]
            centre = [m.ref for m in r.members if m.type == "n" and m.role == "admin_centre"]
            if label or centre:
                self.members[r.id] = (label, centre)

        def area(self, a: Any) -> None:
            self._tick()
            tags = a.tags
            if tags.get("place") not in SETTLEMENT_PLACES and (
                tags.get("boundary") != "administrative"
                or a.from_way()  # a closed way has no label or admin_centre member
                or tags.get("admin_level") in ("1", "2", "3")  # countries, federal districts
            ):
                return
            try:
                wkb = self._wkb.create_multipolygon(a)
            except RuntimeError:  # an area libosmium could not assemble
                self.broken += 1
                return
            kind = "w" if a.from_way() else "r"
            kept = {k: tags.get(k) for k in _TAG_KEYS if tags.get(k) is not None}
            self.areas.append(_Area(f"{kind}{a.orig_id()}", kept, bytes.fromhex(wkb)))

    return Collector()


def _check_node_cache(node_cache: str) -> None:
    import osmium

    kind = node_cache.split(",", 1)[0]
    if kind not in osmium.index.map_types():
        raise InputError("unknown node cache {cache!r}; use one of {types} (file-backed ones "
                         "as TYPE,FILE)", cache=node_cache,
                         types=", ".join(osmium.index.map_types()),
                         source="--node-cache")  # fmt: skip
    if kind.endswith("_file_array") and "," not in node_cache:
        raise InputError("{kind} needs a file: {kind},/path/to/nodes.cache", kind=kind,
                         source="--node-cache")  # fmt: skip


def _read_osm(
    path: Path, *, verbose: bool, node_cache: str, desc: str | None = None, unit: str = " objects"
) -> tuple[Any, int]:
    import osmium

    with tqdm(desc=desc or f"reading {path.name}", unit=unit, disable=not verbose,
              unit_scale=True, leave=False) as progress:  # fmt: skip
        handler = _collector(progress)
        filters = [osmium.filter.KeyFilter("place", "boundary")]
        try:
            handler.apply_file(str(path), locations=True, idx=node_cache, filters=filters)
        except RuntimeError as exc:  # libosmium: bad XML/PBF, unknown format
            raise InputError("not a readable OSM file ({why})", why=exc,
                             source=str(path)) from None  # fmt: skip
    return handler, handler.seen


def _resolve(handler: Any, stats: BuildStats) -> pd.DataFrame:
    """One row per settlement area, with its names, place, population and WKB."""
    rows: list[dict[str, Any]] = []
    for area in handler.areas:
        t = area.tags
        place = t.get("place") if t.get("place") in SETTLEMENT_PLACES else None
        node: _Node | None = None
        if area.osm_id.startswith("r"):
            label, centre = handler.members.get(int(area.osm_id[1:]), ([], []))
            for ref in label:
                if ref in handler.nodes:
                    node = handler.nodes[ref]
                    break
            if node is None and place is None:
                bname = t.get("name") or t.get("name:ru") or ""
                for ref in centre:
                    cand = handler.nodes.get(ref)
                    if cand is not None and (
                        same_settlement_name(bname, cand.name)
                        or same_settlement_name(bname, cand.name_ru)
                    ):
                        node = cand  # fmt: skip
                        break
        if place is None and node is None:
            stats.boundaries_skipped += 1
            continue
        if node is not None and place is None:
            name, name_ru, place = node.name, node.name_ru, node.place
        else:
            name = t.get("name") or t.get("name:ru") or (node.name if node else "")
            name_ru = t.get("name:ru") or t.get("name") or (node.name_ru if node else "")
        if not name:
            stats.boundaries_skipped += 1
            continue
        raw = t.get("population") or (node.population if node is not None else None)
        pop = parse_osm_population(raw)
        if pop is None:
            stats.without_population += 1
            if raw is not None and raw.strip():
                stats.unreadable_population += 1
                if len(stats.examples_unreadable) < 3:
                    stats.examples_unreadable.append(raw)
            pop = 0
        if t.get("boundary") == "administrative":
            stats.from_boundaries += 1
        else:
            stats.from_place_areas += 1
        rows.append({"name": name, "name_ru": name_ru or name, "population": pop,
                     "place": place, "admin_level": t.get("admin_level", ""),
                     "osm_id": area.osm_id, "wkb": area.wkb})  # fmt: skip
    return pd.DataFrame(
        rows, columns=["name", "name_ru", "population", "place", "admin_level", "osm_id", "wkb"]
    )


def _clean_geometry(wkb: pd.Series, stats: BuildStats) -> np.ndarray[Any, Any]:
    """Valid (Multi)Polygons within [-180, 180]: split at the antimeridian, repaired if
    needed (only the polygonal parts of a repair are kept); None where nothing is left."""
    geoms = shapely.from_wkb(wkb.to_numpy())
    crossing = crossing_mask(geoms)
    stats.split_at_antimeridian = int(crossing.sum())
    for i in np.flatnonzero(crossing):
        try:
            geoms[i] = split_antimeridian(geoms[i])
        except ValueError:
            geoms[i] = None
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    stats.repaired = int(bad.sum())
    for i in np.flatnonzero(bad):
        fixed = shapely.make_valid(geoms[i])
        polys = [g for g in shapely.get_parts(fixed) if g.geom_type in ("Polygon", "MultiPolygon")]
        geoms[i] = shapely.union_all(polys) if polys else None
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    geoms[empty] = None
    return np.asarray(geoms, dtype=object)


def build_boundaries(
    osm_path: str | Path,
    *,
    verbose: bool = False,
    node_cache: str = "flex_mem",
    desc: str | None = None,
    unit: str = " objects",
) -> tuple[gpd.GeoDataFrame, BuildStats]:
    """Settlement polygons from an OpenStreetMap extract.

    Parameters
    ----------
    osm_path : ``.osm.pbf``, ``.osm`` or ``.osm.xml`` (also ``.osm.bz2``/``.osm.gz``)
    verbose : show a progress bar (tqdm, on stderr)
    desc, unit : the progress bar's description (default ``reading NAME``) and unit, worded
        by the caller
    node_cache : pyosmium node-location index: ``flex_mem`` (in memory; fine for a
        country) or ``dense_file_array,FILE`` / ``sparse_file_array,FILE`` (on disk)

    Returns
    -------
    The settlements (columns in the module docstring; EPSG:4326) and the counts.

    Raises
    ------
    InputError : the file is missing, empty or not OSM data
    """
    p = Path(osm_path)
    if not p.is_file():
        raise InputError("file not found", source=str(p))
    if p.stat().st_size == 0:
        raise InputError("the file is empty", source=str(p))
    if not p.name.lower().endswith(OSM_SUFFIXES):
        raise InputError("not an OSM file name; use one of {suffixes}",
                         suffixes=", ".join(OSM_SUFFIXES), source=str(p))  # fmt: skip
    _check_node_cache(node_cache)
    stats = BuildStats(bytes_read=p.stat().st_size)
    t0 = time.perf_counter()
    log.info("reading %s (%.1f MB)", p, stats.bytes_read / 1e6)
    handler, stats.objects_seen = _read_osm(p, verbose=verbose, node_cache=node_cache,
                                              desc=desc, unit=unit)  # fmt: skip
    stats.broken_areas = handler.broken
    log.info("%d place nodes, %d candidate areas", len(handler.nodes), len(handler.areas))
    table = _resolve(handler, stats)
    geoms = _clean_geometry(table["wkb"], stats) if len(table) else np.zeros(0, dtype=object)
    keep = ~pd.isna(pd.Series(geoms, dtype=object)).to_numpy()
    stats.broken_areas += int((~keep).sum())
    gdf = gpd.GeoDataFrame(
        table.drop(columns="wkb")[keep].reset_index(drop=True),
        geometry=gpd.GeoSeries(geoms[keep], crs="EPSG:4326"),
    )
    gdf["population"] = gdf["population"].astype(np.int64)
    gdf["admin_level"] = gdf["admin_level"].fillna("").astype(str)
    stats.settlements = len(gdf)
    stats.seconds = time.perf_counter() - t0
    log.info("%s", stats.summary())
    return gdf, stats


def write_boundaries(gdf: gpd.GeoDataFrame, path: str | Path) -> None:
    """Write settlement polygons as GeoPackage (``.gpkg``, layer ``settlements``) or
    GeoJSON (``.geojson``/``.json``), atomically; checked first with
    :func:`data.boundaries.validate_boundaries` so the file loads with ``--boundaries``."""
    from data.io import atomic_path, file_format

    p = Path(path)
    driver = file_format(p, {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"},
                         output=True)  # fmt: skip
    if len(gdf) == 0:
        raise InputError("no settlements found: nothing to write", source=str(p))
    validate_boundaries(gdf, source=str(p))
    with atomic_path(p) as tmp:
        layer = {"layer": "settlements"} if driver == "GPKG" else {}
        gdf.to_file(tmp, driver=driver, engine="pyogrio", **layer)
