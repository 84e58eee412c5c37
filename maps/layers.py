"""folium elements of the planner maps: an offline map, canvas point layers, overlays, a legend.

:class:`OfflineMap` is a ``folium.Map`` that links nothing from a CDN: the
vendored Leaflet, Leaflet.heat and our canvas layers are inlined into the
page head. The other classes are folium layers (so ``folium.LayerControl``
lists them) whose JavaScript is a single ``L.pvz`` / ``L.geoJSON`` /
``L.heatLayer`` call over one embedded JSON blob.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import folium
from branca.element import Element, MacroElement
from jinja2 import Template

from maps.assets import inline_head

__all__ = [
    "SCALE_MAX_WIDTH",
    "GeoJsonOverlay",
    "HeatOverlay",
    "Legend",
    "LegendEntry",
    "LinesCanvas",
    "OfflineMap",
    "PointsCanvas",
    "ScaleBar",
]

#: the scale bar's longest length, pixels: a round length is at least half of it, 75 px,
#: room for its longest label ("3000 km") in the 11 px font of maps/static/css/pvz-map.css;
#: the map UI (maps/static/ui/app.js) uses the same
SCALE_MAX_WIDTH = 150


def _json(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")


class OfflineMap(folium.Map):
    """A ``folium.Map`` whose page loads no external script or stylesheet.

    folium's CDN links (``default_js``/``default_css``: Leaflet, jQuery,
    Bootstrap, awesome-markers) are dropped; the vendored assets are inlined
    into the header instead. Accepts every ``folium.Map`` argument; ``tiles``
    defaults to None (no tile layer: nothing is fetched).
    """

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []
    #: what the map draws, by layer (``points``, ``candidates``, ``audit_pairs``,
    #: ``zones``), filled by ``maps.planner.build_map`` for the CLI's report
    drawn: dict[str, int]

    def __init__(self, location: Any = None, *, tiles: Any = None, **kwargs: Any) -> None:
        super().__init__(location, tiles=tiles, **kwargs)
        root: Any = self.get_root()
        root.header.add_child(Element(inline_head()), name="pvz_assets")


class PointsCanvas(folium.map.Layer):
    """Many points on one canvas (``L.pvz.points``), with geodesic protection circles.

    Parameters
    ----------
    blob : features encoded by :func:`maps.encoding.encode_features`
    name : layer name in the layer control
    size : marker size, pixels
    shape : ``circle`` or ``diamond``
    circles_min_zoom : protection circles are drawn from this zoom level on
    max_circles : and only when at most this many points are in view
    show : shown on opening
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = L.pvz.points({{ this.blob_json }}, {{ this.options_json }});"
        "{% endmacro %}"
    )

    def __init__(self, blob: Mapping[str, Any], *, name: str, size: float = 4,
                 shape: str = "circle", circles_min_zoom: int = 12, max_circles: int = 3000,
                 show: bool = True) -> None:  # fmt: skip
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "PointsCanvas"
        self.blob_json = _json(blob)
        self.options_json = _json({"name": name, "size": size, "shape": shape,
                                   "circlesMinZoom": circles_min_zoom,
                                   "maxCircles": max_circles})  # fmt: skip


class LinesCanvas(folium.map.Layer):
    """Segments ``[lat_a, lon_a, lat_b, lon_b, popup_html]`` on one canvas (``L.pvz.lines``)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = L.pvz.lines({{ this.lines_json }}, {{ this.options_json }});"
        "{% endmacro %}"
    )

    def __init__(self, lines: Sequence[Sequence[Any]], *, name: str, color: str = "#d62728",
                 show: bool = True) -> None:  # fmt: skip
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "LinesCanvas"
        self.lines_json = _json([list(x) for x in lines])
        self.options_json = _json({"name": name, "color": color})


class GeoJsonOverlay(folium.map.Layer):
    """A GeoJSON layer with one style and optional popups listing ``popup_fields``.

    Parameters
    ----------
    data : a GeoJSON FeatureCollection (EPSG:4326)
    name : layer name in the layer control
    style : Leaflet path options (``color``, ``weight``, ``fillColor``, ``fillOpacity``)
    popup_fields : property name -> label, in order (none: no popups)
    overlay : an overlay (True) or a base layer (False)
    pane : the map pane to draw in (default: Leaflet's overlay pane)
    locale : BCP 47 locale of the numbers in popups (``ru-RU``: ``1 234,5``); None: as is
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = (function () {"
        " var fields = {{ this.fields_json }};"
        " var layer = L.geoJSON({{ this.data_json }}, {style: {{ this.style_json }},"
        "{% if this.pane %} pane: {{ this.pane_json }},{% endif %}"
        "  interactive: fields.length > 0,"
        "  onEachFeature: function (f, l) { if (!fields.length) return;"
        "   var rows = fields.map(function (kv) { var v = f.properties[kv[0]];"
        "    if (typeof v === 'number' && {{ this.locale_json }})"
        "     v = new Intl.NumberFormat({{ this.locale_json }}, {maximumFractionDigits: 5})"
        "      .format(v);"
        "    return (v === null || v === undefined) ? '' : '<tr><th>' +"
        "     L.pvz.escapeHtml(kv[1]) + '</th><td>' + L.pvz.escapeHtml(v) + '</td></tr>'; });"
        "   l.bindPopup('<b>' + L.pvz.escapeHtml({{ this.title_json }}) +"
        "    '</b><table class=\"pvz-popup\">' +"
        "    rows.join('') + '</table>'); }});"
        " layer.featureCount = {{ this.n_features }};"
        " (window.pvzLayers = window.pvzLayers || []).push({options: {name: {{ this.name_json }}},"
        "  count: function () { return layer.featureCount; }, layer: layer});"
        " return layer; })();"
        "{% endmacro %}"
    )

    def __init__(self, data: Mapping[str, Any], *, name: str, style: Mapping[str, Any],
                 popup_fields: Mapping[str, str] | None = None, title: str = "",
                 overlay: bool = True, show: bool = True, pane: str | None = None,
                 locale: str | None = None) -> None:  # fmt: skip
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = "GeoJsonOverlay"
        self.pane = pane
        self.pane_json = _json(pane)
        self.locale_json = _json(locale)
        self.data_json = _json(data)
        self.n_features = len(data.get("features", []))
        self.style_json = _json(dict(style))
        self.fields_json = _json([[k, v] for k, v in (popup_fields or {}).items()])
        self.name_json = _json(name)
        self.title = title
        self.title_json = _json(title)


class HeatOverlay(folium.map.Layer):
    """A heat layer (vendored Leaflet.heat) over ``[lat, lon, weight]`` rows, weights 0..1."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = L.heatLayer({{ this.data_json }}, {{ this.options_json }});"
        "(window.pvzLayers = window.pvzLayers || []).push({options: {name: {{ this.name_json }}},"
        " count: function () { return {{ this.n }}; }, layer: {{ this.get_name() }}});"
        "{% endmacro %}"
    )

    def __init__(self, rows: Sequence[Sequence[float]], *, name: str, radius: int = 18,
                 blur: int = 20, show: bool = False) -> None:  # fmt: skip
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "HeatOverlay"
        self.data_json = _json([list(r) for r in rows])
        self.n = len(rows)
        self.name_json = _json(name)
        self.options_json = _json({"radius": radius, "blur": blur, "max": 1.0, "minOpacity": 0.25})


class ScaleBar(MacroElement):
    """A metric-only scale bar (no miles or feet: the maps are for Russian users), wide
    enough that its label stays inside the bar (:data:`SCALE_MAX_WIDTH`); ``units``: the
    metre and kilometre in the map's language (``L.pvz.scale`` in pvz-canvas.js)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.pvz.scale({maxWidth: {{ this.max_width }}, units: {{ this.units_json }}})"
        ".addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self, units: tuple[str, str] = ("м", "км"),
                 max_width: int = SCALE_MAX_WIDTH) -> None:  # fmt: skip
        super().__init__()
        self._name = "ScaleBar"
        self.max_width = int(max_width)
        self.units_json = _json(list(units))


#: a legend entry: ``(label, colour, shape)`` or ``(label, colour, shape, outline colour)``
LegendEntry = tuple[str, str, str] | tuple[str, str, str, str]


class Legend(MacroElement):
    """A legend control: titled sections of :data:`LegendEntry` entries and notes.

    ``shape`` is ``dot``, ``ring`` (hollow: a white dot in a ring of ``colour``, or of the
    outline colour when given), ``square`` or ``line``; an outline colour ('' for none)
    draws the swatch's border as the markers draw theirs.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function () { var c = L.control({position: 'bottomright'});"
        " c.onAdd = function () { var d = L.DomUtil.create('div', 'pvz-legend');"
        "  d.innerHTML = {{ this.html_json }}; L.DomEvent.disableClickPropagation(d);"
        "  L.DomEvent.disableScrollPropagation(d); return d; };"
        " c.addTo({{ this._parent.get_name() }}); })();"
        "{% endmacro %}"
    )

    def __init__(self, sections: Sequence[tuple[str, Sequence[LegendEntry]]],
                 notes: Sequence[str] = ()) -> None:  # fmt: skip
        super().__init__()
        self._name = "Legend"
        from html import escape

        parts = []
        for title, entries in sections:
            parts.append(f"<h4>{escape(title)}</h4>")
            for entry in entries:
                label, color, shape = entry[0], entry[1], entry[2]
                outline = entry[3] if len(entry) > 3 else ""
                cls = {"square": "sw sq", "line": "sw ln", "ring": "sw ring"}.get(shape, "sw")
                if shape == "ring":
                    style = f"background:#fff;border:2px solid {outline or color}"
                else:
                    style = f"background:{color}" + (f";border:2px solid {outline}"
                                                     if outline else "")  # fmt: skip
                parts.append(f'<div class="row"><span class="{cls}" style="'
                             f'{escape(style)}"></span>{escape(label)}</div>')  # fmt: skip
        parts.extend(f'<div class="note">{escape(n)}</div>' for n in notes)
        self.html_json = _json("".join(parts))
