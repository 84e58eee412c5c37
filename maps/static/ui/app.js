/* The expansion team's map UI (/map), Russian first (English switch, remembered).
 *
 * A base map from the configured tile URL (GET /map/config.json) over the bundled outline
 * (still there offline); the network by view: every point when at most MAX_POINTS are in
 * view (GET /v1/points, bbox paging), counts per H3 cell otherwise (GET /v1/points/density),
 * so every point is counted at any zoom; protection circles only for live points (the
 * policy's protecting kinds and statuses) at their own radius; a check mode where a click
 * anywhere checks the spot and draws the candidate's circle and each blocker's circle with
 * the line to it; browse mode (popups) and a geodesic measure tool; reservations, audit
 * violations and white space ranked; settlement and coordinate search; a permalink in the URL
 * hash; CSV/GeoJSON export of the points in view; the applications queue. Longitudes are
 * drawn in the world copy nearest the map centre and query boxes are split at 180 degrees.
 * Offline: every asset comes from this server; tiles that fail leave the outline. */
(function () {
  "use strict";
  var I = window.PvzI18n, t = I.t;
  var KEY = "pvzApiKey", LANG = "pvzLang";
  var MAX_POINTS = 3000, PAGE = 1000, MIN_ZOOM_CIRCLES = 12, MAX_CIRCLES = 3000;
  var esc = L.pvz.escapeHtml;
  var $ = function (id) { return document.getElementById(id); };
  var ui = window.pvzUi = { pointsById: {}, loads: 0, lastCheck: null, whitespace: null,
    scoring: null, lastScore: null, whiteZones: null, mode: "check", config: null, me: null,
    tileErrors: 0, tileLoads: 0, circles: 0, maxPoints: MAX_POINTS };
  var checkSeq = 0;
  var COLORS = { partner: "#1f77b4", own: "#2ca02c", postamat: "#9467bd" };
  var CLOSED = "#b0b0b0", OTHER = "#8c564b";
  var RES_COLOR = "#6a3d9a", VIOL_COLOR = "#d62728", BLOCKER = "#c62828";
  var WS_COLORS = ["#b30000", "#e34a33", "#fdbb84"];

  /* ------------------------------------------------------------ hash state (permalink) */
  function readHash() {
    var out = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) out[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1));
    });
    return out;
  }
  var initial = readHash();
  I.setLang(initial.lang || localStorage.getItem(LANG) || "ru");

  /* ------------------------------------------------------------ messages and the API */
  function message(text, kind, keep) {
    var div = document.createElement("div");
    div.className = "msg" + (kind ? " " + kind : "");
    div.textContent = text;
    $("messages").prepend(div);
    while ($("messages").children.length > 4) $("messages").lastChild.remove();
    if (!keep) setTimeout(function () { div.remove(); }, kind === "ok" ? 6000 : 20000);
    return div;
  }

  function ApiError(status, body) {
    this.status = status;
    this.body = body || {};
    this.message = (this.body.message || this.body.detail || ("HTTP " + status));
    if (typeof this.message !== "string") this.message = JSON.stringify(this.message);
  }

  function api(method, path, body, signal) {
    var key = sessionStorage.getItem(KEY);
    var headers = { "Accept": "application/json" };
    if (key) headers["X-API-Key"] = key;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, { method: method, headers: headers, signal: signal,
      body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.text().then(function (tx) {
          var data = null;
          try { data = tx ? JSON.parse(tx) : null; } catch (e) { data = { message: tx }; }
          if (!r.ok) {
            if (r.status === 401) { sessionStorage.removeItem(KEY); askKey(); }
            throw new ApiError(r.status, data);
          }
          return data;
        });
      });
  }

  function fail(whatKey) {
    return function (err) {
      if (err && err.name === "AbortError") return;
      var what = t(whatKey);
      var text = err instanceof ApiError ? what + ": " + err.status + " " + err.message
        : what + ": " + (err && err.message ? err.message : err);
      message(text, err && err.status === 409 ? "conflict" : "", true);
    };
  }

  /* ------------------------------------------------------------ key */
  function askKey() { $("key-dialog").hidden = false; $("key-input").focus(); }
  $("key-form").addEventListener("submit", function (e) {
    e.preventDefault();
    sessionStorage.setItem(KEY, $("key-input").value.trim());
    $("key-dialog").hidden = true;
    start();
  });

  /* ------------------------------------------------------------ longitudes */
  function wrapLon(lon) { return ((lon + 180) % 360 + 360) % 360 - 180; }
  /* ``lon`` moved by whole turns into the world copy nearest the map centre. */
  function near(lon, centre) {
    var c = centre === undefined ? map.getCenter().lng : centre;
    return lon + 360 * Math.round((c - lon) / 360);
  }
  ui.near = function (lon) { return near(lon); };

  /* The view as query boxes in [-180, 180], split at 180 degrees: [[w, s, e, n], ...]. */
  function viewBoxes() {
    var b = map.getBounds();
    var w = b.getWest(), e = b.getEast();
    var s = Math.max(b.getSouth(), -90), n = Math.min(b.getNorth(), 90);
    if (e - w >= 360) return [[-180, s, 180, n]];
    var ww = wrapLon(w), ee = ww + (e - w);
    if (ee <= 180) return [[ww, s, ee, n]];
    return [[ww, s, 180, n], [-180, s, ee - 360, n]];
  }
  function boxParam(b) { return b.map(function (v) { return v.toFixed(5); }).join(","); }
  ui.viewBoxes = viewBoxes;

  /* ------------------------------------------------------------ map and layers */
  var h = initial.map ? initial.map.split("/").map(Number) : null;
  var startView = h && h.length === 3 && h.every(isFinite) ? h : [10, 55.75, 37.62];
  var map = ui.map = L.map("map", { preferCanvas: true, worldCopyJump: false,
    zoomControl: true }).setView([startView[1], startView[2]], startView[0]);
  // metric only, in the page's language; 150 px wide at most (a round length is at least
  // 75 px: its label fits, as in the planner's maps, maps/layers.py SCALE_MAX_WIDTH)
  ui.scale = L.pvz.scale({ maxWidth: 150, units: [t("m"), t("km")] }).addTo(map);
  map.createPane("outline").style.zIndex = 150; // under the tiles: shows where tiles fail
  var renderer = L.canvas({ padding: 0.3 });
  var pointsLayer = ui.pointsLayer = L.layerGroup();
  var densityLayer = ui.densityLayer = L.layerGroup();
  var circlesLayer = ui.circlesLayer = L.layerGroup();
  var checkLayer = ui.checkLayer = L.layerGroup();
  var resLayer = ui.resLayer = L.layerGroup();
  var violLayer = ui.violLayer = L.layerGroup();
  var measureLayer = L.layerGroup().addTo(map);
  var whiteLayer = ui.whiteLayer = L.layerGroup();
  var heatLayer = L.heatLayer([], { radius: 18, blur: 20, max: 1.0, minOpacity: 0.25 });
  var baseLayer = null, control = null, legend = null;
  var LAYERS = { points: pointsLayer, density: densityLayer, circles: circlesLayer,
    heat: heatLayer, check: checkLayer, reservations: resLayer, violations: violLayer,
    whitespace: whiteLayer };
  var DEFAULT_ON = ["points", "density", "circles", "check", "reservations"];
  var wanted = initial.layers !== undefined ? initial.layers.split(",").filter(Boolean)
    : DEFAULT_ON;
  ["points", "density", "circles", "check"].forEach(function (k) {
    if (wanted.indexOf(k) >= 0) map.addLayer(LAYERS[k]);
  });

  function layerNames() {
    var o = {};
    o[t("layer_points")] = pointsLayer;
    o[t("layer_density")] = densityLayer;
    o[t("layer_circles")] = circlesLayer;
    o[t("layer_check")] = checkLayer;
    if (ui.me && ui.me.role !== "partner") {
      o[t("layer_reservations")] = resLayer;
      o[t("layer_violations")] = violLayer;
      if (ui.whitespace) o[t("layer_whitespace")] = whiteLayer;
    }
    o[t("layer_heat")] = heatLayer;
    return o;
  }

  function buildControl() {
    if (control) control.remove();
    var names = layerNames();
    if (baseLayer) {  // an overlay, not a base layer: a checkbox can turn it off
      var o = {};
      o[t("layer_base")] = baseLayer;
      Object.keys(names).forEach(function (k) { o[k] = names[k]; });
      names = o;
    }
    control = L.control.layers(null, names, { collapsed: false }).addTo(map);
  }

  /* The bundled outline under the tiles. It has Chukotka at +187 deg; a second copy 360 deg
   * west serves views near -180 and is drawn only when such a view comes. Drawing it takes
   * a few hundred ms of the main thread on a busy machine, so it waits for the frame that
   * shows the first view of the network (at most 2 s): the counts come first. */
  var outlineData = null, outlineCopies = {};
  function drawOutline() {
    if (!outlineData) return;
    var shifts = [0];
    if (map.getBounds().getWest() < -169) shifts.push(-360);
    shifts.forEach(function (shift) {
      if (outlineCopies[shift]) return;
      outlineCopies[shift] = true;
      L.geoJSON(outlineData, { pane: "outline", interactive: false, coordsToLatLng: function (c) {
        return L.latLng(c[1], c[0] + shift);
      }, style: { color: "#7a8a99", weight: 1, fillColor: "#f7f5ef", fillOpacity: 1 } })
        .addTo(map);
    });
    ui.outline = true;
  }
  fetch("/map/static/vendor/world-atlas/outline.geojson").then(function (r) { return r.json(); })
    .then(function (fc) {
      outlineData = fc;
      if (ui.done || !sessionStorage.getItem(KEY)) drawOutline(); else setTimeout(drawOutline, 2000);
    }).catch(fail("err_outline"));
  map.on("moveend", function () { if (ui.outline) drawOutline(); });
  /* After the frame that shows the first view of the network. */
  function outlineSoon() {
    if (ui.outline) return;
    requestAnimationFrame(function () { setTimeout(drawOutline, 30); });
  }

  function addTiles(cfg) {
    if (!cfg.tile_url) return;
    baseLayer = ui.baseLayer = L.tileLayer(cfg.tile_url, { attribution: esc(cfg.tile_attribution),
      maxZoom: 19, crossOrigin: false });
    baseLayer.on("tileerror", function (e) {
      e.tile.style.visibility = "hidden";
      if (++ui.tileErrors === 1) $("status").dataset.tiles = t("tiles_failed");
      renderStatus();
    });
    baseLayer.on("tileload", function () { ui.tileLoads++; });
    baseLayer.addTo(map);
  }

  function isLive(p) {
    var c = ui.config;
    if (!c) return false;
    return c.protecting_kinds.indexOf(p.kind) >= 0 && c.protecting_statuses.indexOf(p.status) >= 0
      && p.radius_m > 0;
  }
  ui.isLive = isLive;

  function kindColor(p) { return COLORS[p.kind] || OTHER; }

  /* A point marker's look, as the legend shows it (and as the planner's HTML maps draw
   * it): working, filled with its kind's colour; paused, hollow (a white dot in a ring of
   * its kind's colour); closed, grey outlined in its kind's colour. */
  function pointStyle(p) {
    var k = kindColor(p);
    if (p.status === "paused") return { fillColor: "#fff", color: k, weight: 2.5 };
    if (p.status === "closed") return { fillColor: CLOSED, color: k, weight: 2 };
    return { fillColor: k, color: "#fff", weight: 1 };
  }
  ui.pointStyle = pointStyle;

  function label(prefix, v) { var k = prefix + v; var s = t(k); return s === k ? v : s; }

  function pointPopup(id, p) {
    var rows = [["pp_kind", label("kind_", p.kind)], ["pp_status", label("status_", p.status)],
      ["pp_radius", p.radius_m === null || p.radius_m === undefined ? null : I.num(p.radius_m)],
      ["pp_settlement", p.settlement], ["pp_opened", p.opened_on ? I.datetime(p.opened_on) : null],
      ["pp_area", p.area_m2 === null || p.area_m2 === undefined ? null : I.num(p.area_m2)],
      ["pp_rating", p.rating], ["pp_partner", p.partner_id]];
    return "<b>" + esc(t("point")) + " " + esc(id) + "</b><table class='pvz-popup'>" +
      rows.filter(function (r) { return r[1] !== null && r[1] !== undefined && r[1] !== ""; })
        .map(function (r) {
          return "<tr><th>" + esc(t(r[0])) + "</th><td>" + esc(r[1]) + "</td></tr>";
        }).join("") + "</table>";
  }

  /* ------------------------------------------------------------ status line */
  var statusText = "";
  function renderStatus() {
    var tiles = ui.tileErrors && !ui.tileLoads ? (statusText ? ". " : "") + t("tiles_failed") : "";
    $("status").textContent = statusText + tiles;
  }
  function setStatus(s) { statusText = s; renderStatus(); }

  /* ------------------------------------------------------------ the network by view */
  var loadCtl = null, loadTimer = null, lastView = null;
  function scheduleLoad() { clearTimeout(loadTimer); loadTimer = setTimeout(loadNetwork, 150); }

  function getDensity(boxes, signal) {
    return Promise.all(boxes.map(function (b) {
      return api("GET", "/v1/points/density?bbox=" + boxParam(b), undefined, signal);
    })).then(function (parts) {
      var out = { total: 0, live: 0, features: [] };
      parts.forEach(function (fc) {
        out.total += fc.total; out.live += fc.live; out.features = out.features.concat(fc.features);
      });
      return out;
    });
  }

  function getPoints(boxes, signal) {
    var got = [];
    function page(b, cursor) {
      var q = "/v1/points?limit=" + PAGE + "&bbox=" + boxParam(b) +
        (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
      return api("GET", q, undefined, signal).then(function (fc) {
        got = got.concat(fc.features);
        if (fc.next_cursor && got.length <= ui.maxPoints * 2) return page(b, fc.next_cursor);
        return null;
      });
    }
    return boxes.reduce(function (p, b) { return p.then(function () { return page(b, null); }); },
      Promise.resolve()).then(function () { return got; });
  }

  function loadNetwork() {
    if (!sessionStorage.getItem(KEY)) return;
    if (loadCtl) loadCtl.abort();
    var ctl = loadCtl = new AbortController(), seq = ++ui.loads;
    var boxes = viewBoxes();
    lastView = boxes;
    getDensity(boxes, ctl.signal).then(function (dens) {
      if (seq !== ui.loads) return null;
      if (dens.total > ui.maxPoints) {
        pointsLayer.clearLayers(); circlesLayer.clearLayers(); ui.pointsById = {};
        drawDensity(dens);
        ui.done = seq;
        outlineSoon();
        return null;
      }
      return getPoints(boxes, ctl.signal).then(function (feats) {
        if (seq !== ui.loads) return;
        densityLayer.clearLayers();
        ui.density = null;
        ui.pointsById = {};
        feats.forEach(function (f) {
          var c = f.geometry.coordinates;
          ui.pointsById[f.id] = { lat: c[1], lon: c[0], props: f.properties };
        });
        drawPoints();
        ui.loaded = feats.length;
        setStatus(t("points_in_view", { n: I.num(feats.length), raw: feats.length }));
        ui.done = seq;
        outlineSoon();
      });
    }).catch(fail("err_points"));
    loadReservations();
    loadViolations();
    loadWhitespace();
    saveHash();
  }
  ui.reload = loadNetwork;

  function drawPoints() {
    pointsLayer.clearLayers();
    var centre = map.getCenter().lng, browse = ui.mode === "browse";
    Object.keys(ui.pointsById).forEach(function (id) {
      var pt = ui.pointsById[id], p = pt.props;
      var look = pointStyle(p);
      var m = L.circleMarker([pt.lat, near(pt.lon, centre)], { renderer: renderer, radius: 5,
        weight: look.weight, color: look.color, fillColor: look.fillColor, fillOpacity: 0.95,
        interactive: browse, bubblingMouseEvents: false });
      if (browse) m.bindPopup(pointPopup(id, p));
      m.pointId = id;
      m.addTo(pointsLayer);
    });
    drawCircles();
  }

  function drawDensity(fc) {
    densityLayer.clearLayers();
    var max = 1, centre = map.getCenter().lng;
    fc.features.forEach(function (f) { max = Math.max(max, f.properties.count); });
    fc.features.forEach(function (f) {
      var c = f.geometry.coordinates, p = f.properties;
      L.circleMarker([c[1], near(c[0], centre)], { renderer: renderer,
        radius: 3 + 17 * Math.sqrt(p.count / max), weight: 1, color: "#08519c",
        fillColor: "#3182bd", fillOpacity: 0.55, interactive: ui.mode === "browse",
        bubblingMouseEvents: false })
        .bindTooltip(esc(t("density_tip", { n: I.num(p.count), raw: p.count, live: I.num(p.live) })))
        .addTo(densityLayer);
    });
    ui.density = fc.features.length;
    ui.densityTotal = fc.total;
    ui.loaded = 0;
    setStatus(t("density_status", { n: I.num(fc.total), raw: fc.total, live: I.num(fc.live) }));
  }

  function drawCircles() {
    circlesLayer.clearLayers();
    ui.circles = 0;
    if (map.getZoom() < MIN_ZOOM_CIRCLES) return;
    var centre = map.getCenter().lng;
    Object.keys(ui.pointsById).slice(0, MAX_CIRCLES).forEach(function (id) {
      var pt = ui.pointsById[id];
      if (!isLive(pt.props)) return;
      L.polygon(PvzGeo.circle(pt.lat, near(pt.lon, centre), pt.props.radius_m, 64), {
        renderer: renderer, color: kindColor(pt.props), weight: 1, fillOpacity: 0.06,
        interactive: false }).addTo(circlesLayer);
      ui.circles++;
    });
  }

  map.on("moveend", scheduleLoad);
  map.on("overlayadd overlayremove", function (e) {
    if (e.type === "overlayadd") {
      if (e.layer === heatLayer) loadDemand();
      if (e.layer === whiteLayer) loadWhitespace();
      if (e.layer === resLayer) loadReservations();
      if (e.layer === violLayer) loadViolations();
    }
    if (e.layer === whiteLayer) $("whitespace-section").hidden = e.type !== "overlayadd";
    saveHash();
  });

  /* ------------------------------------------------------------ reservations, violations */
  function loadReservations() {
    if (!map.hasLayer(resLayer) || !ui.me || ui.me.role === "partner") return;
    api("GET", "/v1/applications?status=pending&limit=1000").then(function (res) {
      resLayer.clearLayers();
      var now = Date.now(), centre = map.getCenter().lng, n = 0;
      res.applications.forEach(function (a) {
        var until = I.parseIso(a.reserved_until);
        if (!a.allowed || !until || until.getTime() <= now) return;
        var tip = t("reservation_tip", { id: a.id, partner: a.partner_id,
          until: I.datetime(a.reserved_until), r: I.num(a.radius_m) });
        L.polygon(PvzGeo.circle(a.lat, near(a.lon, centre), a.radius_m, 64), { renderer: renderer,
          color: RES_COLOR, weight: 1.5, dashArray: "5 4", fillColor: RES_COLOR,
          fillOpacity: 0.08, interactive: false }).addTo(resLayer);
        L.circleMarker([a.lat, near(a.lon, centre)], { renderer: renderer, radius: 5,
          color: RES_COLOR, weight: 2, fillColor: "#fff", fillOpacity: 1,
          interactive: ui.mode === "browse", bubblingMouseEvents: false }).bindTooltip(esc(tip))
          .addTo(resLayer);
        n++;
      });
      ui.reservations = n;
    }).catch(fail("err_res"));
  }

  var violations = null;
  function loadViolations() {
    if (!map.hasLayer(violLayer) || !ui.me || ui.me.role === "partner") return;
    var draw = function () {
      violLayer.clearLayers();
      var centre = map.getCenter().lng;
      violations.forEach(function (v) {
        var la = near(v.a[1], centre), lb = la + (((v.b[1] - v.a[1]) + 540) % 360 - 180);
        L.polyline([[v.a[0], la], [v.b[0], lb]], { renderer: renderer, color: VIOL_COLOR,
          weight: 3, interactive: ui.mode === "browse" }).bindTooltip(esc(t("violation_tip", {
          a: v.a_id, b: v.b_id, d: I.num(v.distance_m), r: I.num(v.radius_m) })))
          .addTo(violLayer);
        [v.a, [v.b[0], lb]].forEach(function (p, i) {
          L.circleMarker([p[0], i ? p[1] : la], { renderer: renderer, radius: 6,
            color: VIOL_COLOR, weight: 2, fillOpacity: 0, interactive: false }).addTo(violLayer);
        });
      });
      ui.violations = violations.length;
    };
    if (violations) { draw(); return; }
    api("GET", "/map/violations.json").then(function (rows) { violations = rows; draw(); })
      .catch(fail("err_viol"));
  }

  /* ------------------------------------------------------------ demand, white space */
  var demandLoaded = false;
  function loadDemand() {
    if (demandLoaded) return;
    demandLoaded = true;
    api("GET", "/map/demand.json").then(function (rows) { heatLayer.setLatLngs(rows); })
      .catch(function (e) { demandLoaded = false; fail("err_demand")(e); });
  }

  function probeApi() {
    return api("GET", "/openapi.json").then(function (doc) {
      var paths = (doc && doc.paths) || {};
      ui.whitespace = !!(paths["/v1/whitespace"] && paths["/v1/whitespace"].get);
      ui.scoring = !!(paths["/v1/candidates/score"] && paths["/v1/candidates/score"].post);
    }).catch(function () { ui.whitespace = false; ui.scoring = false; });
  }

  function wsColor(rank) { return rank <= 10 ? WS_COLORS[0] : rank <= 50 ? WS_COLORS[1] : WS_COLORS[2]; }

  function loadWhitespace() {
    if (!ui.whitespace || !map.hasLayer(whiteLayer)) return;
    var boxes = viewBoxes();
    Promise.all(boxes.map(function (b) {
      return api("GET", "/v1/whitespace?limit=200&bbox=" + boxParam(b));
    })).then(function (parts) {
      var feats = [];
      parts.forEach(function (fc) { feats = feats.concat(fc.features); });
      feats.sort(function (a, b) { return a.properties.rank - b.properties.rank; });
      whiteLayer.clearLayers();
      var centre = map.getCenter().lng;
      var shiftOf = function (f) {
        return near(Number(f.properties.best_lon), centre) - Number(f.properties.best_lon);
      };
      var list = $("ws-list");
      list.innerHTML = "";
      feats.forEach(function (f) {
        var p = f.properties, shift = shiftOf(f);
        var tip = t("ws_zone", { rank: p.rank, demand: I.num(Math.round(p.demand || 0)),
          where: I.num(p.best_lat, 4) + ", " + I.num(p.best_lon, 4) });
        L.geoJSON(f, { coordsToLatLng: function (c) { return L.latLng(c[1], c[0] + shift); },
          style: { color: wsColor(p.rank), weight: 1.5, fillColor: wsColor(p.rank),
            fillOpacity: 0.35 }, interactive: ui.mode === "browse" }).bindTooltip(esc(tip))
          .addTo(whiteLayer);
        if (list.children.length < 30) {
          var li = document.createElement("li");
          li.value = p.rank;
          li.innerHTML = "<span class='ws-sw' style='background:" + wsColor(p.rank) + "'></span>" +
            esc(tip.replace(/^[#№]\d+: /, ""));
          li.dataset.rank = p.rank;
          li.addEventListener("click", function () {
            map.setView([p.best_lat, near(p.best_lon)], Math.max(map.getZoom(), 11));
          });
          list.appendChild(li);
        }
      });
      if (!feats.length) list.innerHTML = "<li class='hint'>" + esc(t("ws_none")) + "</li>";
      ui.whiteZones = feats.length;
    }).catch(fail("err_ws"));
  }

  /* ------------------------------------------------------------ legend */
  function buildLegend() {
    if (legend) legend.remove();
    legend = L.control({ position: "bottomleft" });
    legend.onAdd = function () {
      var d = L.DomUtil.create("div", "pvz-legend");
      d.id = "legend";
      var row = function (sw, text) {
        return "<div class='row'>" + sw + "<span>" + esc(text) + "</span></div>";
      };
      var dot = function (c, ring) {
        return "<span class='sw' style='background:" + c + (ring ? ";border:2px solid " + ring : "") +
          "'></span>";
      };
      // an area (protection or check circle): tinted inside, thin edge; unlike a paused
      // point's swatch (white inside, thick ring)
      var ring = function (c, dash) {
        return "<span class='sw ring" + (dash ? " dash" : "") + "' style='border-color:" + c +
          ";background:" + c + "2e'></span>";
      };
      var line = function (c, dash) {
        return "<span class='sw ln" + (dash ? " dash" : "") + "' style='background:" + c + "'></span>";
      };
      var cfg = ui.config || { protecting_kinds: [], protecting_statuses: [] };
      var open = localStorage.getItem("pvzLegend") !== "closed";
      var html = "<details" + (open ? " open" : "") + "><summary><b>" + esc(t("legend_title")) +
        "</b></summary>";
      html += "<div class='sub'>" + esc(t("lg_points")) + "</div>";
      ["partner", "own", "postamat"].forEach(function (k) {
        html += row(dot(COLORS[k]), t("kind_" + k));
      });
      // paused and closed: one swatch per kind, drawn as the markers are (pointStyle)
      ["paused", "closed"].forEach(function (st) {
        html += row(["partner", "own", "postamat"].map(function (k) {
          var look = pointStyle({ kind: k, status: st });
          return dot(look.fillColor, look.color);
        }).join(""), t("lg_" + st));
      });
      html += row(ring("#1f77b4"), t("lg_circle", {
        kinds: cfg.protecting_kinds.map(function (k) { return label("kind_", k); }).join(", "),
        statuses: cfg.protecting_statuses.map(function (s) { return label("status_", s); })
          .join(", ") }));
      html += "<div class='note'>" + esc(t("lg_no_circle")) + "</div>";
      html += row("<span class='sw' style='background:#3182bd;opacity:.6'></span>", t("lg_density"));
      var staff = !ui.me || ui.me.role !== "partner";  // a partner has no such layers
      if (staff) html += row(ring(RES_COLOR, true), t("lg_reservation"));
      if (staff) html += row(line(VIOL_COLOR), t("lg_violation"));
      html += row(ring("#1b7f2a"), t("lg_check_ok"));
      html += row(ring("#c62828"), t("lg_check_bad"));
      html += row(line(BLOCKER, true), t("lg_blocker"));
      if (staff && ui.whitespace) {
        html += "<div class='sub'>" + esc(t("lg_ws")) + "</div>";
        ["ws_rank_1", "ws_rank_2", "ws_rank_3"].forEach(function (k, i) {
          html += row("<span class='sw sq' style='background:" + WS_COLORS[i] + "'></span>", t(k));
        });
      }
      html += row(line("#000", true), t("lg_measure"));
      d.innerHTML = html + "</details>";
      d.firstChild.addEventListener("toggle", function () {  // remembered: open or folded
        localStorage.setItem("pvzLegend", d.firstChild.open ? "open" : "closed");
      });
      L.DomEvent.disableClickPropagation(d);
      L.DomEvent.disableScrollPropagation(d);
      return d;
    };
    legend.addTo(map);
  }

  /* ------------------------------------------------------------ protection check */
  function locate(id) {
    if (ui.pointsById[id]) return Promise.resolve(ui.pointsById[id]);
    var path = /^A/.test(id) ? "/v1/applications/" : "/v1/points/";
    return api("GET", path + encodeURIComponent(id)).then(function (p) {
      return { lat: p.lat, lon: p.lon, props: p };
    }).catch(function () { return null; });
  }

  var SCORE_KEYS = [["score", "score"], ["expected_turnover_rub", "expected_turnover"],
    ["turnover_rub", "expected_turnover"], ["expected_reward_rub", "expected_reward"],
    ["reward_rub", "expected_reward"], ["net_gain_rub", "net_gain"]];

  function scoreRows(obj) {
    var out = "", seen = {};
    SCORE_KEYS.forEach(function (k) {
      var v = obj && obj[k[0]];
      if (v !== null && v !== undefined && typeof v !== "object" && !seen[k[1]]) {
        seen[k[1]] = true;
        var shown = /_rub$/.test(k[0]) ? I.money(v) : I.num(v, 3);
        out += "<div>" + esc(t(k[1])) + ": <b>" + esc(shown) + "</b></div>";
      }
    });
    if (obj && obj.score && typeof obj.score === "object") {
      Object.keys(obj.score).forEach(function (k) {
        out += "<div>" + esc(k) + ": <b>" + esc(I.num(obj.score[k], 3)) + "</b></div>";
      });
    }
    return out;
  }

  function scoreAt(lat, lon, features, target, seq) {
    if (!ui.scoring || !target || (ui.me && ui.me.role === "partner")) return Promise.resolve(null);
    var cand = { lat: lat, lon: wrapLon(lon) };
    ["area_m2", "waiting_zone", "fitting_rooms", "rating"].forEach(function (k) {
      if (features && features[k] !== null && features[k] !== undefined) cand[k] = features[k];
    });
    return api("POST", "/v1/candidates/score", { candidates: [cand] }).then(function (res) {
      var r = res.results[0];
      if (seq !== checkSeq) return r;
      ui.lastScore = r;
      var div = document.createElement("div");
      div.className = "score";
      var losers = r.cannibalization.slice(0, 3).map(function (c) {
        return esc(c.point_id) + " −" + esc(I.money(c.loss_rub));
      }).join(", ");
      div.innerHTML = scoreRows(r) + (losers ? "<div>" + esc(t("takes_from")) + ": " + losers +
        "</div>" : "");
      target.appendChild(div);
      return r;
    }).catch(function (err) {
      if (err && err.status === 403) { ui.scoring = false; return null; }
      fail("err_score")(err);
      return null;
    });
  }

  function checkAt(lat, lon, opts) {
    opts = opts || {};
    var seq = ++checkSeq;
    var body = { lat: lat, lon: wrapLon(lon) };
    if (opts.kind) body.kind = opts.kind;
    return api("POST", "/v1/protection/check", body).then(function (res) {
      if (seq !== checkSeq) return res;
      // the application's own reservation (a partner sees it without its id: at 0 m,
      // reserved until the same moment)
      var own = opts.features || {};
      var conflicts = res.conflicts.filter(function (c) {
        return c.point_id !== opts.self && !(c.point_id === null && c.kind === "reservation" &&
          c.distance_m === 0 && c.reserved_until === own.reserved_until);
      });
      ui.lastCheck = { lat: lat, lon: wrapLon(lon), result: res, conflicts: conflicts,
        blockers: 0, allowed: conflicts.length === 0 };
      checkLayer.clearLayers();
      var ok = conflicts.length === 0;
      var clon = near(lon);
      L.polygon(PvzGeo.circle(lat, clon, res.radius_m, 96), { renderer: renderer,
        color: ok ? "#1b7f2a" : "#c62828", weight: 2, fillOpacity: 0.08, interactive: false })
        .addTo(checkLayer);
      L.circleMarker([lat, clon], { renderer: renderer, radius: 7, color: "#000", weight: 2,
        fillColor: ok ? "#2ecc71" : "#e74c3c", fillOpacity: 1, interactive: false })
        .addTo(checkLayer);
      var html = "<div class='" + (ok ? "allowed'>" + esc(t("allowed")) : "blocked'>" +
        esc(t("blocked"))) + "</div>" +
        "<div>" + esc(t("at")) + " " + I.num(lat, 5) + "; " + I.num(wrapLon(lon), 5) + "</div>" +
        "<div>" + esc(t("radius")) + " " + I.num(res.radius_m) + " " + esc(t("m")) + " · " +
        esc(res.settlement || t("open_country")) + "</div>" + scoreRows(res);
      if (!ok) {
        html += "<table class='conf'><tr><th>" + esc(t("blocking_point")) + "</th><th>" +
          esc(t("distance")) + "</th><th>" + esc(t("radius")) + "</th></tr>" +
          conflicts.map(function (c) {
            return "<tr class='conflict' data-id='" + esc(c.point_id) + "'><td>" +
              esc(c.point_id) + "</td><td class='dist' data-m='" + c.distance_m + "'>" +
              I.num(c.distance_m, 1) + " " + esc(t("m")) + "</td><td>" + I.num(c.radius_m) +
              " " + esc(t("m")) + "</td></tr>";
          }).join("") + "</table>";
      }
      var target = opts.target || $("check-result");
      target.innerHTML = html;
      scoreAt(lat, lon, opts.features, target, seq);
      var pending = conflicts.slice(0, 20).map(function (c) {
        return locate(c.point_id).then(function (p) {
          if (!p || seq !== checkSeq) return;
          var plon = clon + (((p.lon - wrapLon(lon)) + 540) % 360 - 180);
          var r = p.props && p.props.radius_m > 0 ? p.props.radius_m : c.radius_m;
          L.polygon(PvzGeo.circle(p.lat, plon, r, 96), { renderer: renderer, color: BLOCKER,
            weight: 2, dashArray: "6 4", fillColor: BLOCKER, fillOpacity: 0.06,
            interactive: false }).addTo(checkLayer);
          L.polyline([[lat, clon], [p.lat, plon]], { renderer: renderer, color: BLOCKER,
            weight: 2, dashArray: "4 4", interactive: false }).addTo(checkLayer);
          // the label sits beside the blocker, not over the short line it names
          L.circleMarker([p.lat, plon], { renderer: renderer, radius: 7, color: BLOCKER,
            weight: 3, fillOpacity: 0, interactive: false }).addTo(checkLayer)
            .bindTooltip(esc(c.point_id + ": " + I.num(c.distance_m, 1) + " " + t("m")),
              { permanent: true, className: "pvz-dist", direction: plon < clon ? "left" : "right",
                offset: [plon < clon ? -10 : 10, 0] });
          ui.lastCheck.blockers++;
        });
      });
      Promise.all(pending).then(function () { if (seq === checkSeq) ui.lastCheck.drawn = true; });
      if (opts.after) opts.after(ok);
      return res;
    }).catch(fail("err_check"));
  }
  ui.checkAt = checkAt;

  /* ------------------------------------------------------------ modes, measure */
  var measureA = null;
  function setMode(m) {
    ui.mode = m;
    Array.prototype.forEach.call(document.querySelectorAll("input[name=mode]"), function (r) {
      r.checked = r.value === m;
    });
    $("mode-hint").textContent = t("hint_" + m);
    $("map").classList.toggle("checking", m !== "browse");
    map.closePopup();
    measureA = null;
    if (Object.keys(ui.pointsById).length) drawPoints();
    saveHash();
  }
  Array.prototype.forEach.call(document.querySelectorAll("input[name=mode]"), function (r) {
    r.addEventListener("change", function () { if (r.checked) { setMode(r.value); reloadOverlays(); } });
  });
  function reloadOverlays() { loadReservations(); loadViolations(); loadWhitespace(); }

  function measureClick(latlng) {
    if (!measureA) {
      measureLayer.clearLayers();
      measureA = latlng;
      L.circleMarker(latlng, { radius: 4, color: "#000", interactive: false }).addTo(measureLayer);
      $("measure-result").textContent = t("measure_first");
      return;
    }
    var a = measureA, b = latlng;
    measureA = null;
    var d = PvzGeo.inverse(a.lat, a.lng, b.lat, b.lng);
    ui.lastMeasure = d;
    L.circleMarker(b, { radius: 4, color: "#000", interactive: false }).addTo(measureLayer);
    var text = d >= 10000 ? I.num(d / 1000, 2) + " км" : I.num(d, 1) + " " + t("m");
    if (I.state.lang === "en" && d >= 10000) text = I.num(d / 1000, 2) + " km";
    L.polyline([a, b], { color: "#000", weight: 2, dashArray: "6 4", interactive: false })
      .addTo(measureLayer).bindTooltip(esc(text), { permanent: true, className: "pvz-dist",
        direction: "center" });
    $("measure-result").textContent = t("measure_result") + ": " + text;
  }

  map.on("click", function (e) {
    if (ui.mode === "check") checkAt(e.latlng.lat, e.latlng.lng);
    else if (ui.mode === "measure") measureClick(e.latlng);
  });

  /* ------------------------------------------------------------ applications queue */
  var apps = {};
  function queueMatches(a) {
    var st = $("queue-status").value, q = norm($("queue-settlement").value);
    // the API reads each status as of now (an expired reservation reads "expired")
    if (st !== "all" && a.status !== st) return false;
    if (q && norm(a.settlement || "").indexOf(q) < 0) return false;
    return true;
  }

  function loadQueue() {
    var st = $("queue-status").value;
    var apiStatus = st === "all" ? "" : st;
    return api("GET", "/v1/applications?limit=1000" + (apiStatus ? "&status=" + apiStatus : ""))
      .then(function (res) {
        apps = {};
        res.applications.forEach(function (a) { apps[a.id] = a; });
        renderQueue();
      }).catch(fail("err_apps"));
  }

  function renderQueue() {
    var list = $("queue-list");
    list.innerHTML = "";
    var rows = Object.keys(apps).map(function (k) { return apps[k]; }).filter(queueMatches);
    var dir = $("queue-sort").value === "newest" ? -1 : 1;
    rows.sort(function (a, b) { return dir * String(a.created_at).localeCompare(String(b.created_at)); });
    rows.forEach(function (a) {
      var li = document.createElement("li");
      li.dataset.id = a.id;
      li.dataset.status = a.status;
      var state = a.status === "pending" ? "allowed'>" + esc(t("allowed"))
        : a.status === "refused" ? "blocked'>" + esc(t("blocked")) : "'>" + esc(t("st_" + a.status));
      li.innerHTML = "<b>" + esc(a.id) + "</b> · " + esc(a.settlement || t("open_country")) +
        " · <span class='" + state + "</span><br><span class='hint'>" +
        (ui.me && ui.me.role !== "partner" ? esc(t("partner")) + " " + esc(a.partner_id) + " · " : "") +
        "<span class='age' title='" + esc(I.datetime(a.created_at)) + "'>" + esc(I.age(a.created_at)) +
        "</span></span>";
      li.addEventListener("click", function () { selectApp(a.id); });
      list.appendChild(li);
    });
    if (!rows.length) list.innerHTML = "<li class='hint'>" + esc(t("no_apps")) + "</li>";
    ui.queue = rows.length;
  }

  function selectApp(id) {
    var a = apps[id];
    if (!a) return;
    Array.prototype.forEach.call($("queue-list").children, function (li) {
      li.classList.toggle("sel", li.dataset.id === id);
    });
    map.setView([a.lat, near(a.lon)], 15, { animate: false });
    var d = $("app-detail");
    var canDecide = ui.me && ui.me.role !== "partner" && a.status === "pending";
    d.innerHTML = "<h3>" + esc(a.id) + "</h3><div>" + esc(t("partner")) + " " + esc(a.partner_id) +
      ", " + esc(t("kind")) + " " + esc(label("kind_", a.kind)) + ", " + esc(t("radius")) + " " +
      I.num(a.radius_m) + " " + esc(t("m")) + "</div>" +
      (a.address ? "<div>" + esc(a.address) + "</div>" : "") +
      "<div>" + esc(t("submitted")) + ": " + esc(I.datetime(a.created_at)) + " (" +
      esc(I.age(a.created_at)) + ")</div>" +
      (a.decided_at ? "<div>" + esc(t("decided")) + ": " + esc(I.datetime(a.decided_at)) +
        (a.decision_reason ? " · " + esc(a.decision_reason) : "") + "</div>" : "") +
      "<div>" + esc(t("at_submission")) + ": <span class='" + (a.allowed ? "allowed'>" +
        esc(t("allowed")) : "blocked'>" + esc(t("blocked"))) + "</span>" +
      (a.reserved_until && a.status === "pending" ? " (" + esc(t("reserved_until")) + " " +
        esc(I.datetime(a.reserved_until)) + ")" : "") + "</div>" + scoreRows(a) +
      "<div class='hint'>" + esc(t("now_check")) + ":</div><div id='app-check'></div>" +
      "<div id='app-actions'></div>";
    checkAt(a.lat, a.lon, { self: a.id, target: $("app-check"), features: a, kind: a.kind,
      after: function (ok) {
        if (ui.me && ui.me.role === "partner" && a.status === "pending" && $("app-actions")) {
          $("app-actions").innerHTML = "<button id='withdraw'>" + esc(t("withdraw")) + "</button>";
          $("withdraw").addEventListener("click", function () { decide(a, "withdraw"); });
        }
        if (!canDecide) return;
        var box = $("app-actions");
        if (!box) return;
        box.innerHTML = (ok ? "<button id='approve'>" + esc(t("approve")) + "</button>"
          : "<div class='hint'>" + esc(t("approve_unavailable")) + "</div>") +
          "<input id='reject-reason' placeholder='" + esc(t("reason_ph")) + "'>" +
          "<button id='reject'>" + esc(t("reject")) + "</button>";
        if (ok) $("approve").addEventListener("click", function () { decide(a, "approve"); });
        $("reject").addEventListener("click", function () { decide(a, "reject"); });
      } });
  }

  function decide(a, verb) {
    var body = verb === "reject" ? { reason: $("reject-reason").value || t("reject_default") }
      : undefined;
    return api("POST", "/v1/applications/" + encodeURIComponent(a.id) + "/" + verb, body)
      .then(function (res) {
        message(verb === "approve" ? t("approved_msg", { id: a.id, point: res.point_id || "" })
          : verb === "withdraw" ? t("withdrawn_msg", { id: a.id })
          : t("rejected_msg", { id: a.id }), "ok");
        $("app-detail").innerHTML = "";
        loadQueue();
        loadNetwork();
      })
      .catch(function (err) {
        if (err.status === 409) {
          var det = (err.body.detail || []).map(function (c) {
            return c.point_id ? c.point_id + " " + I.num(c.distance_m, 1) + " " + t("m") : "";
          }).filter(Boolean).join(", ");
          message(t("conflict_msg", { id: a.id, msg: err.message, det: det ? " (" + det + ")" : "" }),
            "conflict", true);
          loadQueue();
        } else {
          fail(verb === "approve" ? "err_approve" : verb === "withdraw" ? "err_withdraw"
            : "err_reject")(err);
        }
      });
  }
  $("queue-refresh").addEventListener("click", loadQueue);
  $("queue-status").addEventListener("change", loadQueue);
  $("queue-sort").addEventListener("change", renderQueue);
  $("queue-settlement").addEventListener("input", renderQueue);

  /* ------------------------------------------------------------ search */
  var places = null;
  function norm(s) { return String(s).toLowerCase().replace(/ё/g, "е").trim(); }

  /* "55.7558, 37.6173", "55,7558 37,6173", "55.7558 37.6173", "55°45'21\"N 37°37'02\"E"
   * (N/S/E/W or С/Ю/В/З) -> [lat, lon], or null. */
  function parseCoords(q) {
    var s = String(q).trim();
    var n = "(-?\\d+(?:[.,]\\d+)?)";
    var m = s.match(new RegExp("^" + n + "\\s*(?:;|,\\s+|\\s+)\\s*" + n + "$")) ||
      s.match(/^(-?\d+\.\d+),(-?\d+\.\d+)$/);
    var lat, lon;
    if (m) {
      lat = parseFloat(m[1].replace(",", ".")); lon = parseFloat(m[2].replace(",", "."));
    } else {
      var re = /(\d+(?:[.,]\d+)?)\s*°\s*(?:(\d+(?:[.,]\d+)?)\s*['′’]\s*)?(?:(\d+(?:[.,]\d+)?)\s*(?:["″”]|''|′′)\s*)?([NSEWСЮВЗ])?/gi;
      var parts = [], mm;
      while ((mm = re.exec(s)) !== null) {
        var v = parseFloat(mm[1].replace(",", ".")) + (mm[2] ? parseFloat(mm[2].replace(",", ".")) / 60 : 0) +
          (mm[3] ? parseFloat(mm[3].replace(",", ".")) / 3600 : 0);
        parts.push({ v: v, h: (mm[4] || "").toUpperCase() });
      }
      if (parts.length !== 2) return null;
      var isLon = function (p) { return "EWВЗ".indexOf(p.h) >= 0 && p.h; };
      var sign = function (p) { return "SWЮЗ".indexOf(p.h) >= 0 && p.h ? -1 : 1; };
      if (isLon(parts[0]) || (parts[1].h && !isLon(parts[1]))) parts.reverse();
      lat = sign(parts[0]) * parts[0].v; lon = sign(parts[1]) * parts[1].v;
    }
    if (!isFinite(lat) || !isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
    return [lat, lon];
  }
  ui.parseCoords = parseCoords;

  var searchMarker = null;
  function goCoords(c) {
    if (searchMarker) searchMarker.remove();
    map.setView([c[0], near(c[1])], Math.max(map.getZoom(), 15), { animate: false });
    searchMarker = L.circleMarker([c[0], near(c[1])], { radius: 6, color: "#000", weight: 2,
      fillColor: "#ffd400", fillOpacity: 1, interactive: false }).addTo(map);
    ui.searched = c;
    checkAt(c[0], c[1]);
  }

  function search(q) {
    var n = norm(q), out = $("search-results");
    out.innerHTML = "";
    if (!n) return;
    var c = parseCoords(q);
    if (c) {
      var li = document.createElement("li");
      li.className = "coords";
      li.textContent = t("coords") + ": " + I.num(c[0], 6) + "; " + I.num(c[1], 6);
      li.addEventListener("click", function () { goCoords(c); out.innerHTML = ""; });
      out.appendChild(li);
      return;
    }
    if (!places) return;
    // rows: [name, name_ru, lat, lon, population, tz, region_ru, region_en]; a query of several
    // words may name the region too ("первомайский забайкальский")
    var words = n.split(/[\s,]+/).filter(Boolean);
    var pre = [], sub = [], inRegion = [];
    for (var i = 0; i < places.length && pre.length < 10; i++) {
      var p = places[i], a = norm(p[0]), b = norm(p[1]);
      if (a.indexOf(n) === 0 || b.indexOf(n) === 0) pre.push(p);
      else if (sub.length < 10 && (a.indexOf(n) >= 0 || b.indexOf(n) >= 0)) sub.push(p);
      else if (words.length > 1 && inRegion.length < 10) {
        var hay = a + " " + b + " " + norm(p[6] || "") + " " + norm(p[7] || "");
        if ((a.indexOf(words[0]) === 0 || b.indexOf(words[0]) === 0) &&
            words.every(function (w) { return hay.indexOf(w) >= 0; })) inRegion.push(p);
      }
    }
    var shown = pre.concat(sub, inRegion).slice(0, 10), seen = {};
    shown.forEach(function (p) { var k = p[1] + "|" + p[6]; seen[k] = (seen[k] || 0) + 1; });
    shown.forEach(function (p) {
      var en = I.state.lang === "en";
      var li = document.createElement("li");
      var name = document.createElement("b");
      name.textContent = (en ? p[0] : p[1]) || p[0];
      li.appendChild(name);
      var region = en ? p[7] : p[6];
      if (region) {
        var reg = document.createElement("span");
        reg.className = "region";
        reg.textContent = ", " + region;
        li.appendChild(reg);
      }
      li.appendChild(document.createElement("br"));
      var hint = document.createElement("span");
      hint.className = "hint";
      // one name twice in one region: the coordinates tell them apart
      hint.textContent = [(en ? p[1] : p[0]) || "", t("population") + " " + I.num(p[4]),
        seen[p[1] + "|" + p[6]] > 1 ? I.num(p[2], 3) + "; " + I.num(p[3], 3) : "",
        mskLabel(p[5])].filter(Boolean).join(" · ");
      li.appendChild(hint);
      li.addEventListener("click", function () {
        map.setView([p[2], near(p[3])], p[4] > 1e6 ? 10 : p[4] > 1e5 ? 12 : 13, { animate: false });
        out.innerHTML = "";
      });
      out.appendChild(li);
    });
  }
  /* A settlement's time zone as Russians say it, against Moscow time: "МСК", "МСК+7",
   * "МСК−1" ("MSK+7" in English); "" when the browser does not know the zone. */
  var mskCache = {};
  function mskOffset(tz, when) {
    var parts = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23",
      year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric" })
      .formatToParts(when), v = {};
    parts.forEach(function (x) { v[x.type] = +x.value; });
    return Date.UTC(v.year, v.month - 1, v.day, v.hour, v.minute) / 60000;
  }
  function mskLabel(tz) {
    if (!tz) return "";
    var key = tz + "|" + I.state.lang;
    if (mskCache[key] !== undefined) return mskCache[key];
    var out = "";
    try {
      var now = new Date(), h = (mskOffset(tz, now) - mskOffset("Europe/Moscow", now)) / 60;
      var msk = I.state.lang === "en" ? "MSK" : "МСК";
      out = h === 0 ? msk : msk + (h > 0 ? "+" : "\u2212") + I.num(Math.abs(h));
    } catch (e) { out = ""; }
    return (mskCache[key] = out);
  }
  ui.mskLabel = mskLabel;
  /* Addresses through the server's geocoder (PVZ_GEOCODER_URL), when one is configured:
   * asked 400 ms after the last keystroke, listed after the settlements. */
  var geoTimer = null, geoSeq = 0;
  function searchAddress(q) {
    clearTimeout(geoTimer);
    var n = String(q).trim(), seq = ++geoSeq;
    if (!ui.config || !ui.config.geocoder || n.length < 3 || parseCoords(n)) return;
    geoTimer = setTimeout(function () {
      api("GET", "/map/geocode.json?lang=" + I.state.lang + "&q=" + encodeURIComponent(n))
        .then(function (rows) {
          if (seq !== geoSeq) return;
          var out = $("search-results");
          rows.forEach(function (r) {
            var li = document.createElement("li");
            li.className = "address";
            li.textContent = t("address") + ": " + r.name;
            li.addEventListener("click", function () { goCoords([r.lat, r.lon]); out.innerHTML = ""; });
            out.appendChild(li);
          });
          ui.addresses = rows.length;
        }).catch(fail("err_geocode"));
    }, 400);
  }
  ui.searchAddress = searchAddress;
  $("search").addEventListener("input", function (e) {
    var q = e.target.value;
    searchAddress(q);
    if (places || parseCoords(q)) return search(q);
    fetch("/map/settlements.json").then(function (r) { return r.json(); })
      .then(function (rows) { places = rows; search($("search").value); })
      .catch(fail("err_settlements"));
  });
  $("search").addEventListener("keydown", function (e) {
    if (e.key === "Enter") {
      var first = $("search-results").querySelector("li");
      if (first) first.click();
    }
  });

  /* ------------------------------------------------------------ permalink */
  function layerKeys() {
    return Object.keys(LAYERS).filter(function (k) { return map.hasLayer(LAYERS[k]); });
  }
  function saveHash() {
    var c = map.getCenter();
    var parts = ["map=" + map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5),
      "layers=" + layerKeys().join(","), "mode=" + ui.mode, "lang=" + I.state.lang];
    if (baseLayer && !map.hasLayer(baseLayer)) parts.push("base=off");
    history.replaceState(null, "", "#" + parts.join("&"));
    ui.hash = location.hash;
  }
  $("permalink").addEventListener("click", function () {
    saveHash();
    if (navigator.clipboard) navigator.clipboard.writeText(location.href).catch(function () {});
    message(t("link_copied"), "ok");
  });

  /* ------------------------------------------------------------ export */
  function pointsInView() {
    var b = map.getBounds(), centre = map.getCenter().lng;
    return Object.keys(ui.pointsById).filter(function (id) {
      var p = ui.pointsById[id];
      return b.contains([p.lat, near(p.lon, centre)]);
    }).map(function (id) { return [id, ui.pointsById[id]]; });
  }
  var EXPORT_COLS = ["kind", "status", "radius_m", "settlement", "partner_id", "opened_on",
    "area_m2", "rating"];
  /* Text cells a spreadsheet would run as a formula (=, +, -, @, tab, CR first) get a '
   * in front (OWASP); numbers and plain decimal text stay as they are. */
  function csvCell(v) {
    if (v === null || v === undefined) return "";
    var s = String(v);
    if (typeof v !== "number" && /^[=+\-@\t\r]/.test(s) &&
        !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) s = "'" + s;
    return /[",\n\r;]/.test(s) ? "\"" + s.replace(/"/g, "\"\"") + "\"" : s;
  }
  function download(name, text, type) {
    var blob = new Blob([text], { type: type });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  function exportPoints(fmt) {
    if (ui.density) { message(t("export_density"), ""); return; }
    var rows = pointsInView();
    if (!rows.length) { message(t("export_none"), ""); return; }
    var text;
    if (fmt === "csv") {
      text = ["id,lat,lon," + EXPORT_COLS.join(",")].concat(rows.map(function (r) {
        var p = r[1];
        return [r[0], p.lat, p.lon].concat(EXPORT_COLS.map(function (k) { return p.props[k]; }))
          .map(csvCell).join(",");
      })).join("\n") + "\n";
    } else {
      text = JSON.stringify({ type: "FeatureCollection", features: rows.map(function (r) {
        return { type: "Feature", id: r[0], geometry: { type: "Point",
          coordinates: [r[1].lon, r[1].lat] }, properties: r[1].props };
      }) });
    }
    ui.lastExport = { fmt: fmt, n: rows.length };
    download("pvz-points." + fmt, text, fmt === "csv" ? "text/csv;charset=utf-8" :
      "application/geo+json");
    message(t("exported", { n: I.num(rows.length) }), "ok");
  }
  $("export-csv").addEventListener("click", function () { exportPoints("csv"); });
  $("export-geojson").addEventListener("click", function () { exportPoints("geojson"); });

  /* ------------------------------------------------------------ language */
  function applyLang() {
    document.documentElement.lang = I.state.lang;
    document.title = t("title");
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (el) {
      el.textContent = t(el.dataset.i18n);
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n-placeholder]"), function (el) {
      el.placeholder = t(el.dataset.i18nPlaceholder);
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n-title]"), function (el) {
      el.title = t(el.dataset.i18nTitle);
    });
    $("lang").textContent = t("lang_switch");
    if (ui.scale) ui.scale.setUnits([t("m"), t("km")]);
    $("mode-hint").textContent = t("hint_" + ui.mode);
    if (ui.me) $("who").textContent = t("role_" + ui.me.role) +
      (ui.me.partner_id ? " " + ui.me.partner_id : "");
  }
  function setLang(l) {
    I.setLang(l);
    localStorage.setItem(LANG, I.state.lang);
    applyLang();
    if (started) {
      buildControl();
      buildLegend();
      renderQueue();
      loadNetwork();
      if (ui.lastCheck) checkAt(ui.lastCheck.lat, ui.lastCheck.lon);
    }
    saveHash();
  }
  ui.setLang = setLang;
  $("lang").addEventListener("click", function () { setLang(I.state.lang === "ru" ? "en" : "ru"); });
  applyLang();
  setMode(initial.mode === "browse" || initial.mode === "measure" ? initial.mode : "check");

  /* ------------------------------------------------------------ start */
  var started = false;
  function start() {
    if (started) { loadNetwork(); loadQueue(); return; }
    // the view's counts wait neither for the key's role nor for the configuration
    loadNetwork();
    Promise.all([api("GET", "/map/me.json"), api("GET", "/map/config.json")]).then(function (res) {
      started = true;
      ui.me = res[0];
      applyLang();
      if (ui.me.role === "partner") $("queue-status").value = "all";
      var cfg = ui.config = res[1];
      if (cfg.whitespace === undefined) return probeApi();  // an older server
      ui.whitespace = !!cfg.whitespace;
      ui.scoring = !!cfg.scoring;
      return null;
    }).then(function () {
      if (!ui.config) return;
      var cfg = ui.config;
      addTiles(cfg);
      if (initial.base === "off" && baseLayer) map.removeLayer(baseLayer);
      if (me() !== "partner") {
        ["reservations", "violations", "whitespace"].forEach(function (k) {
          if (wanted.indexOf(k) >= 0 && (k !== "whitespace" || ui.whitespace)) map.addLayer(LAYERS[k]);
        });
      }
      if (wanted.indexOf("heat") >= 0) { map.addLayer(heatLayer); loadDemand(); }
      $("whitespace-section").hidden = !map.hasLayer(whiteLayer);
      buildControl();
      buildLegend();
      if (Object.keys(ui.pointsById).length) drawPoints();  // circles need the policy
      reloadOverlays();
      loadQueue();
    }).catch(fail("err_points"));
  }
  function me() { return ui.me ? ui.me.role : null; }
  if (sessionStorage.getItem(KEY)) start(); else askKey();
})();
