"""Planner maps: one self-contained, offline HTML map of a region or the whole country.

:func:`build_map` returns a ``folium.Map`` (it displays in Jupyter);
:func:`save_map` writes it as a single HTML file that loads nothing from the
network unless a tile URL was asked for. Points are drawn on a canvas from one
compact blob (:mod:`maps.encoding`), so 250,000 points stay under 15 MB and
interactive; protection circles are geodesic (Vincenty's direct formula on
WGS84 in the browser, checked against ``pyproj.Geod`` in the tests) and drawn
from zoom 12 on, for the points in view.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from data.bbox import in_bbox
from data.errors import InputError, Message
from data.io import atomic_path
from data.places import load_places
from geo.settlements import SettlementLookup, urban_radius_m
from maps.assets import load_outline
from maps.encoding import encode_features
from maps.labels import (
    Lang,
    bool_label,
    column_label,
    fmt_money,
    fmt_num,
    locale,
    text,
    value_label,
)
from maps.layers import (
    GeoJsonOverlay,
    HeatOverlay,
    Legend,
    LegendEntry,
    LinesCanvas,
    OfflineMap,
    PointsCanvas,
    ScaleBar,
)
from planning.protection import ProtectionNetwork, ProtectionPolicy

__all__ = [
    "KIND_COLORS",
    "OSM_ATTRIBUTION",
    "OSM_TILES",
    "SCORE_COLUMNS",
    "build_map",
    "protection_radii",
    "region_bbox",
    "save_map",
]

BBox = tuple[float, float, float, float]

#: colour of each point kind: working points are filled with it, ``paused`` ones are hollow
#: rings of it, ``closed`` ones grey outlined in it (as maps/static/ui/app.js pointStyle)
KIND_COLORS = {"partner": "#1f77b4", "own": "#2ca02c", "postamat": "#9467bd"}
_OTHER_COLOR = "#8c564b"
_CLOSED_COLOR = "#b0b0b0"
#: candidate score bins, low to high (viridis)
_SCORE_COLORS = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")
_BLOCKED = {"color": "#111111", "stroke": "#d62728"}
#: candidate columns that can colour candidates, first present wins
SCORE_COLUMNS = ("score", "net_gain_rub", "turnover_rub", "reward_rub", "captured_demand")
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
#: popup columns of points and of candidates, in order (labels: maps.labels)
_POINT_FACTS = ("kind", "status", "radius_m", "settlement", "opened_on", "area_m2",
                "waiting_zone", "fitting_rooms", "rating", "turnover_rub",
                "monthly_turnover_rub", "reward_rub", "partner_id")  # fmt: skip
_CANDIDATE_FACTS = ("score", "turnover_rub", "reward_rub", "net_gain_rub", "captured_demand",
                    "cannibalized_rub", "radius_m", "blocker_id", "blocker_distance_m")  # fmt: skip
#: how the browser formats a popup column (maps/static/js/pvz-canvas.js): whole numbers,
#: numbers, roubles, dates; in the map's language
_FORMATS = {"radius_m": "int", "fitting_rooms": "int", "area_m2": "num", "rating": "num",
            "score": "num", "captured_demand": "num", "blocker_distance_m": "num",
            "opened_on": "date", "turnover_rub": "rub", "monthly_turnover_rub": "rub",
            "reward_rub": "rub", "net_gain_rub": "rub", "cannibalized_rub": "rub"}  # fmt: skip
#: popup columns that hold yes/no values (also as text: ``true``, ``1``, ``да``)
_YES_NO = frozenset({"waiting_zone"})
_RUSSIA_BOUNDS = [[41.0, 19.0], [78.0, 191.0]]


def _norm(text: str) -> str:
    return str(text).strip().lower().replace("ё", "е")


def region_bbox(name: str) -> BBox:
    """A box around the settlement called ``name`` (Latin or Cyrillic, case-insensitive).

    The most populous match wins; the box extends ``max(2 R, 10 km)`` around
    its centre, ``R`` its nominal urban radius (geo.settlements). Raises
    :class:`InputError` with close matches when no settlement has that name.
    """
    places = load_places()
    key = _norm(name)
    hit = places[(places["name"].map(_norm) == key) | (places["name_ru"].map(_norm) == key)]
    if hit.empty:
        names = sorted(set(places["name"]) | set(places["name_ru"]))
        close = difflib.get_close_matches(name, names, n=3)
        hint = Message("; did you mean {names}?", names=", ".join(close)) if close else ""
        raise InputError("--region: no settlement called {name!r}{hint}", name=name, hint=hint)
    row = hit.iloc[0]  # places are sorted by population, descending
    pad_m = max(2.0 * float(urban_radius_m(row["population"])), 10_000.0)
    lat, lon = float(row["lat"]), float(row["lon"])
    dlat = pad_m / 111_000.0
    dlon = pad_m / (111_000.0 * max(math.cos(math.radians(lat)), 0.05))
    minlon, maxlon = lon - dlon, lon + dlon
    minlon = minlon + 360 if minlon < -180 else minlon
    maxlon = maxlon - 360 if maxlon > 180 else maxlon
    return minlon, max(lat - dlat, -90.0), maxlon, min(lat + dlat, 90.0)


def _unwrap(lon: npt.ArrayLike) -> npt.NDArray[np.float64]:
    lo = np.asarray(lon, dtype=np.float64)
    return np.where(lo < -100.0, lo + 360.0, lo)


def _facts(df: pd.DataFrame, facts: Sequence[str], lang: Lang) -> dict[str, pd.Series]:
    cols: dict[str, pd.Series] = {"id": df["id"]}
    for col in facts:
        if col in df.columns and df[col].notna().any():
            s = df[col]
            if col.endswith(("_rub", "_m")) and pd.api.types.is_numeric_dtype(s):
                s = s.round(1 if col.endswith("_m") else 0)
            elif col in ("kind", "status"):
                s = s.map(lambda v: v if not isinstance(v, str) else value_label(v, lang))
            elif col in _YES_NO or pd.api.types.is_bool_dtype(s) or _all_bool(s):
                s = _yes_no(s, lang, numbers=col in _YES_NO)
            cols[col] = s
    return cols


def _all_bool(s: pd.Series) -> bool:
    """Every present value is a bool (an object column of True/False with gaps, as
    ``read_csv`` gives one)."""
    vals = s.dropna()
    return len(vals) > 0 and all(isinstance(v, (bool, np.bool_)) for v in vals)


def _yes_no(s: pd.Series, lang: Lang, *, numbers: bool = False) -> pd.Series:
    """``да``/``нет`` (``yes``/``no``) for yes/no values (with ``numbers``, 1 and 0 too);
    missing stay missing, other values unchanged."""

    def one(v: Any) -> Any:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        if (
            numbers
            and not isinstance(v, (bool, np.bool_))
            and isinstance(v, (int, float, np.number))
        ):
            v = bool(v) if v in (0, 1) else v
        got = bool_label(v, lang)
        return v if got is None else got

    return s.astype(object).map(one)


def _point_classes(df: pd.DataFrame, lang: Lang = "ru"
                   ) -> tuple[list[dict[str, str]], npt.NDArray[np.int64]]:  # fmt: skip
    kind = df["kind"].fillna("partner").astype(str) if "kind" in df else pd.Series(
        ["partner"] * len(df), index=df.index)  # fmt: skip
    status = df["status"].fillna("active").astype(str) if "status" in df else pd.Series(
        ["active"] * len(df), index=df.index)  # fmt: skip
    combo = kind + " · " + status
    labels = sorted(combo.unique().tolist())
    classes = []
    for lab in labels:
        k, s = lab.split(" · ", 1)
        kc = KIND_COLORS.get(k, _OTHER_COLOR)
        entry = {"label": f"{value_label(k, lang)} · {value_label(s, lang)}", "color": kc}
        if s == "paused":  # hollow: a ring of the kind's colour
            entry.update(stroke=kc, hollow="1")
        elif s == "closed":  # grey, outlined in the kind's colour
            entry.update(color=_CLOSED_COLOR, stroke=kc)
        classes.append(entry)
    code = {lab: i for i, lab in enumerate(labels)}
    return classes, combo.map(code).to_numpy(dtype=np.int64)


def _candidate_decision(
    cand: pd.DataFrame,
    points: pd.DataFrame,
    network: ProtectionNetwork | None,
    policy: ProtectionPolicy,
    settlements: SettlementLookup,
) -> pd.DataFrame:
    """Candidates with ``allowed``, ``blocker_id``, ``blocker_distance_m`` (computed if absent)."""
    if "allowed" in cand.columns:
        out = cand.copy()
        out["allowed"] = out["allowed"].map(
            lambda v: str(v).strip().lower() in ("true", "1", "yes", "1.0")
        )
        return out
    net = network or _network(points, policy, settlements)
    kind = cand["kind"].fillna(policy.default_kind) if "kind" in cand else None
    radius = cand.get("radius_m", None)
    res = net.check_batch(cand["lat"], cand["lon"], kind=kind, radius_m=radius)
    table = res.to_frame(cand["id"].tolist())
    out = cand.copy()
    out["allowed"] = table["allowed"].to_numpy()
    out["radius_m"] = table["radius_m"].to_numpy()
    out["blocker_id"] = table["nearest_id"].to_numpy()
    out["blocker_distance_m"] = table["nearest_distance_m"].to_numpy()
    return out


def protection_radii(
    points: pd.DataFrame, *, policy: ProtectionPolicy, settlements: SettlementLookup
) -> npt.NDArray[np.float64]:
    """The protection radius, metres, each point draws on the map; NaN: no circle.

    Points of a protecting kind and status (by ``policy``; missing kind or status:
    the policy's defaults) get their ``radius_m`` where given, otherwise their
    settlement's tier radius, as the protection network computes it
    (:meth:`planning.protection.ProtectionNetwork.live_radii`); the others
    (postamats, closed points by default) protect nothing and get NaN.
    """
    if not len(points):
        return np.zeros(0)
    given = None
    if "radius_m" in points:
        given = pd.to_numeric(points["radius_m"], errors="coerce").to_numpy(dtype=np.float64)
        given = np.where(given > 0, given, np.nan)
    return ProtectionNetwork(policy, settlements).live_radii(
        points["lat"].to_numpy(dtype=np.float64), points["lon"].to_numpy(dtype=np.float64),
        radius_m=given,
        kind=points["kind"].fillna(policy.default_kind).astype(str) if "kind" in points else None,
        status=(points["status"].fillna(policy.default_status).astype(str)
                if "status" in points else None),
    )  # fmt: skip


def _network(points: pd.DataFrame, policy: ProtectionPolicy, settlements: SettlementLookup
             ) -> ProtectionNetwork:  # fmt: skip
    live = points
    if "status" in points:
        live = points[points["status"].fillna(policy.default_status).isin(policy.statuses)]
    if "kind" in live:
        live = live[live["kind"].fillna(policy.default_kind).isin(policy.kinds)]
    net = ProtectionNetwork(policy, settlements)
    net.add_points(
        live["id"].tolist(), live["lat"], live["lon"],
        radius_m=live.get("radius_m", None),
        kind=live["kind"].fillna(policy.default_kind) if "kind" in live else None,
        status=live["status"].fillna(policy.default_status) if "status" in live else None,
    )  # fmt: skip
    return net


def _readable(x: float, lang: Lang = "ru", money: bool = False) -> str:
    """A legend number for people: 219 000 (219,000) rather than 2.19e+05, roubles with
    their sign (219 000 ₽); 0,71 (0.71) for small scores."""
    if abs(x) >= 100:
        x = float(f"{x:.3g}")
        return fmt_money(x, lang) if money else fmt_num(x, lang)
    return fmt_num(float(f"{x:.3g}"), lang, 3)


def _metric_label(metric: str, lang: Lang = "ru") -> str:
    """``turnover_rub`` -> ``ожидаемый оборот, ₽/мес.`` (``expected turnover, RUB/month``)."""
    return column_label(metric, lang, candidate=True)


def _candidate_layer(cand: pd.DataFrame, lang: Lang = "ru"
                     ) -> tuple[PointsCanvas, list[LegendEntry]]:  # fmt: skip
    metric = next((c for c in SCORE_COLUMNS if c in cand.columns), None)
    allowed = cand["allowed"].to_numpy(dtype=bool)
    classes: list[dict[str, str]] = []
    cls = np.zeros(len(cand), dtype=np.int64)
    if metric is not None and allowed.any():
        val = pd.to_numeric(cand[metric], errors="coerce").to_numpy(dtype=np.float64)
        ok = val[allowed & np.isfinite(val)]
        edges = np.unique(np.quantile(ok, np.linspace(0, 1, len(_SCORE_COLORS) + 1))) if ok.size \
            else np.array([0.0, 1.0])  # fmt: skip
        nb = max(len(edges) - 1, 1)
        colors = _SCORE_COLORS[-nb:] if nb < len(_SCORE_COLORS) else _SCORE_COLORS
        for b in range(nb):
            lo, hi = edges[b], edges[min(b + 1, len(edges) - 1)]
            money = metric.endswith("_rub")
            label = (
                f"{_metric_label(metric, lang)}: {_readable(lo, lang, money)} – "
                f"{_readable(hi, lang, money)}"
            )
            classes.append({"label": label, "color": colors[b]})
        bins = np.clip(np.searchsorted(edges, np.nan_to_num(val, nan=edges[0]), side="right") - 1,
                       0, nb - 1)  # fmt: skip
        cls = bins
    else:
        classes.append({"label": text("allowed", lang), "color": "#17becf"})
    blocked_code = len(classes)
    classes.append({"label": text("blocked", lang), **_BLOCKED})
    cls = np.where(allowed, cls, blocked_code)
    facts = _facts(cand, _CANDIDATE_FACTS, lang)
    cols: dict[str, Any] = {"id": facts.pop("id"), "decision": np.where(
        allowed, text("allowed", lang), text("blocked", lang))}  # fmt: skip
    cols.update(facts)
    labels = {k: column_label(k, lang, candidate=True) for k in cols}
    blob = encode_features(cand["lat"], cand["lon"], classes=classes, cls=cls,
                           radius_m=cand.get("radius_m", None), columns=cols, labels=labels,
                           title=text("candidate_title", lang), formats=_FORMATS,
                           locale=locale(lang))  # fmt: skip
    layer = PointsCanvas(blob, name=f"{text('candidates', lang)} ({fmt_num(len(cand), lang)})",
                         size=5, shape="diamond", circles_min_zoom=13,
                         max_circles=500)  # fmt: skip
    legend: list[LegendEntry] = [(c["label"], c["color"], "square", c.get("stroke", ""))
                                 for c in classes]  # fmt: skip
    return layer, legend


def _round_coords(obj: Any, digits: int) -> Any:
    if isinstance(obj, list):
        if obj and isinstance(obj[0], int | float):
            lon = obj[0] + 360.0 if obj[0] < -100.0 else obj[0]
            return [round(lon, digits), round(obj[1], digits)]
        return [_round_coords(x, digits) for x in obj]
    return obj


def _zones_geojson(zones: gpd.GeoDataFrame) -> dict[str, Any]:
    gdf = zones.to_crs("EPSG:4326") if zones.crs is not None else zones
    keep = [c for c in ("rank", "demand", "n_cells", "area_km2", "best_lat", "best_lon",
                        "best_site_demand") if c in gdf.columns]  # fmt: skip
    gdf = gdf[[*keep, "geometry"]].copy()
    for c in ("demand", "area_km2", "best_site_demand"):
        if c in gdf:
            gdf[c] = gdf[c].astype(float).round(1)
    data: dict[str, Any] = json.loads(gdf.to_json(drop_id=True))
    for f in data["features"]:
        if f.get("geometry"):
            f["geometry"]["coordinates"] = _round_coords(f["geometry"]["coordinates"], 5)
    return data


def _demand_heat(bbox: BBox | None) -> list[list[float]]:
    from planning.demand import settlement_demand

    dem = settlement_demand(load_places(), resolution=6 if bbox is None else 8, bbox=bbox)
    if len(dem) == 0:
        return []
    w = np.sqrt(dem.weight / max(float(dem.weight.max()), 1e-9))  # sqrt: towns stay visible
    lon = _unwrap(dem.lon)
    return [[round(float(a), 4), round(float(b), 4), round(float(c), 3)]
            for a, b, c in zip(dem.lat, lon, w, strict=True) if c > 0.01]  # fmt: skip


def _bounds(lat: npt.ArrayLike, lon: npt.ArrayLike, bbox: BBox | None) -> list[list[float]]:
    if bbox is not None:
        minlon, minlat, maxlon, maxlat = bbox
        if minlon > maxlon:
            maxlon += 360.0
        return [[minlat, float(_unwrap(minlon))], [maxlat, float(maxlon if maxlon > 180 else
                                                                   _unwrap(maxlon))]]  # fmt: skip
    la = np.asarray(lat, dtype=np.float64)
    if la.size == 0:
        return _RUSSIA_BOUNDS
    lo = _unwrap(lon)
    return [[float(la.min()), float(lo.min())], [float(la.max()), float(lo.max())]]


def build_map(
    points: pd.DataFrame,
    *,
    candidates: pd.DataFrame | None = None,
    whitespace: gpd.GeoDataFrame | None = None,
    audit: pd.DataFrame | bool | None = None,
    region: str | None = None,
    bbox: BBox | None = None,
    tiles: str | None = None,
    attribution: str | None = None,
    demand: bool = True,
    policy: ProtectionPolicy | None = None,
    settlements: SettlementLookup | None = None,
    lang: Lang = "ru",
) -> OfflineMap:
    """A planner map of the network (a ``folium.Map``; ``m`` displays in Jupyter); its
    ``drawn`` says how many points, candidates, audit pairs and zones it draws.

    Parameters
    ----------
    points : the network: ``id, lat, lon`` (WGS84 degrees) and any of ``radius_m``
        (metres), ``kind``, ``status``, ``settlement``, ``opened_on``, ``area_m2``,
        ``waiting_zone``, ``fitting_rooms``, ``rating``, ``turnover_rub``, ``reward_rub``
    candidates : ``id, lat, lon`` and optionally the columns of ``pvz score``
        (``allowed``, ``blocker_id``, ``blocker_distance_m``, ``turnover_rub``,
        ``reward_rub``, ...); without ``allowed`` the protection rule decides
    whitespace : white-space zones (``pvz whitespace`` / ``planning.whitespace``)
    audit : pairs ``a_id, b_id, distance_m, radius_m``, or True to audit ``points``
    region : a settlement name (Latin or Cyrillic): crop and zoom to it
    bbox : ``(minlon, minlat, maxlon, maxlat)`` degrees: crop and zoom to it
    tiles : a tile URL template (``"osm"``: OpenStreetMap) for online use; None: offline only
    attribution : attribution of ``tiles`` (OpenStreetMap's by default)
    demand : add the demand heat layer (settlement populations on H3 cells)
    policy, settlements : the protection rule (defaults: the default policy, bundled places)
    lang : ``ru`` (default) or ``en``: layer names, legend, popups, number formats
        (:mod:`maps.labels`); ValueError for another
    """
    text("points", lang)  # ValueError for an unknown language, before any work
    if region is not None and bbox is not None:
        raise InputError("give either a region or a bbox, not both")
    if region is not None:
        bbox = region_bbox(region)
    policy = policy or ProtectionPolicy()
    settlements = settlements or SettlementLookup(load_places())
    pts = points.reset_index(drop=True)
    inside = in_bbox(pts["lat"], pts["lon"], bbox)
    view = pts[inside].reset_index(drop=True)

    m = OfflineMap(location=[61.5, 100.0], zoom_start=3, prefer_canvas=True, control_scale=False,
                   world_copy_jump=False)  # fmt: skip
    ScaleBar((text("m", lang), text("km", lang))).add_to(m)  # metric only
    m.drawn = {"points": len(view), "candidates": 0, "audit_pairs": 0, "zones": 0}
    if tiles:
        url = OSM_TILES if tiles.lower() in ("osm", "openstreetmap") else tiles
        folium.TileLayer(url, attr=attribution or OSM_ATTRIBUTION, name=text("tiles", lang),
                         max_zoom=19).add_to(m)  # fmt: skip
    # the outline lies under the tiles (pane z-index 150 < 200): offline, it shows where tiles fail
    folium.map.CustomPane("outline", z_index=150, pointer_events=False).add_to(m)
    GeoJsonOverlay(load_outline(), name=text("outline", lang), style={
        "color": "#7a8a99", "weight": 1, "fillColor": "#f7f5ef", "fillOpacity": 1,
        "opacity": 0.9}, pane="outline").add_to(m)  # fmt: skip

    legend: list[tuple[str, list[LegendEntry]]] = []
    notes = [text(
        "note_circles", lang,
        kinds="/".join(value_label(k, lang) for k in policy.protecting_kinds),
        statuses="/".join(value_label(s, lang) for s in policy.protecting_statuses),
    )]  # fmt: skip
    if demand:
        heat = _demand_heat(bbox)
        if heat:
            HeatOverlay(heat, name=text("demand", lang), show=False).add_to(m)
    if whitespace is not None and len(whitespace):
        ws = whitespace
        if bbox is not None and {"best_lat", "best_lon"} <= set(ws.columns):
            ws = ws[in_bbox(ws["best_lat"], ws["best_lon"], bbox)]
        fields = ("rank", "demand", "n_cells", "area_km2", "best_lat", "best_lon",
                  "best_site_demand")  # fmt: skip
        name = text("whitespace_n", lang, n=fmt_num(len(ws), lang))
        GeoJsonOverlay(_zones_geojson(ws), name=name,
            style={"color": "#e6550d", "weight": 1.5, "fillColor": "#fd8d3c", "fillOpacity": 0.35},
            popup_fields={f: column_label(f, lang) for f in fields},
            title=text("zone_title", lang), locale=locale(lang)).add_to(m)  # fmt: skip
        m.drawn["zones"] = len(ws)
        legend.append((text("lg_whitespace", lang), [(text("lg_zone", lang), "#fd8d3c",
                                                      "square")]))  # fmt: skip

    classes, cls = _point_classes(view, lang)
    radius = protection_radii(view, policy=policy, settlements=settlements)
    facts = _facts(view.assign(radius_m=radius), _POINT_FACTS, lang)
    blob = encode_features(view["lat"], view["lon"], classes=classes, cls=cls, radius_m=radius,
                           columns=facts, labels={k: column_label(k, lang) for k in facts},
                           title=text("point_title", lang), formats=_FORMATS,
                           locale=locale(lang))  # fmt: skip
    PointsCanvas(blob, name=f"{text('points', lang)} ({fmt_num(len(view), lang)})").add_to(m)
    legend.insert(0, (text("lg_points", lang), [
        (c["label"], c["color"], "ring" if c.get("hollow") else "dot", c.get("stroke", ""))
        for c in classes]))  # fmt: skip
    if any(c.get("stroke") for c in classes):
        notes.append(text("note_paused", lang))

    network: ProtectionNetwork | None = None
    if audit is not None and audit is not False:
        if isinstance(audit, pd.DataFrame):
            pairs = audit
        else:
            network = _network(pts, policy, settlements)
            pairs = network.audit().to_frame()
        where = pts.set_index(pts["id"].astype(str))[["lat", "lon"]]
        pairs = pairs[pairs["a_id"].astype(str).isin(where.index)
                      & pairs["b_id"].astype(str).isin(where.index)]  # fmt: skip
        a = where.loc[pairs["a_id"].astype(str).tolist()].to_numpy()
        b = where.loc[pairs["b_id"].astype(str).tolist()].to_numpy()
        keep = in_bbox(a[:, 0], a[:, 1], bbox) | in_bbox(b[:, 0], b[:, 1], bbox)
        lines = []
        for (la, lo), (lb, lob), (_, r) in zip(a[keep], b[keep], pairs[keep].iterrows(),
                                              strict=True):  # fmt: skip
            html = (
                f"<b>{escape(text('conflict', lang))}</b><br>{escape(str(r['a_id']))} – "
                f"{escape(str(r['b_id']))}<br>{text('distance', lang)} "
                f"{fmt_num(float(r['distance_m']), lang, 1)} {text('m', lang)} &lt; "
                f"{text('radius', lang)} {fmt_num(float(r['radius_m']), lang)} {text('m', lang)}"
            )
            lines.append([round(la, 6), round(lo, 6), round(lb, 6), round(lob, 6), html])
        LinesCanvas(lines, name=f"{text('audit', lang)} ({fmt_num(len(lines), lang)})").add_to(m)
        m.drawn["audit_pairs"] = len(lines)
        legend.append((text("lg_audit", lang), [(text("lg_audit_pair", lang), "#d62728",
                                                 "line")]))  # fmt: skip

    if candidates is not None and len(candidates):
        cand = candidates.reset_index(drop=True)
        cand = cand[in_bbox(cand["lat"], cand["lon"], bbox)].reset_index(drop=True)
        if len(cand):
            cand = _candidate_decision(cand, pts, network, policy, settlements)
            layer, entries = _candidate_layer(cand, lang)
            layer.add_to(m)
            m.drawn["candidates"] = len(cand)
            legend.append((text("lg_candidates", lang), entries))

    folium.LayerControl(collapsed=False).add_to(m)
    m.add_child(Legend(legend, notes))
    m.fit_bounds(_bounds(view["lat"], view["lon"], bbox))
    return m


def save_map(m: folium.Map, path: str | Path) -> int:
    """Write ``m`` as one HTML file, atomically; returns its size in bytes.

    Raises :class:`InputError` for an output that is not ``.html``/``.htm``.
    """
    out = Path(path)
    if out.suffix.lower() not in (".html", ".htm"):
        raise InputError("the map is HTML: use a .html output, got {name!r}", name=out.name,
                         source=str(out))  # fmt: skip
    html = m.get_root().render()
    data = html.encode("utf-8")
    with atomic_path(out) as tmp:
        tmp.write_bytes(data)
    return len(data)
