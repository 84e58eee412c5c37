/* The expansion team's map UI (/map): the network by view (GET /v1/points, bbox paging;
 * zoomed out, counts per H3 cell from GET /v1/points/density), protection checks on click, the applications queue with approve / reject, layers for
 * protection circles, white space and demand heat, and settlement search. Offline: every
 * asset comes from this server. */
(function () {
  "use strict";
  var KEY = "pvzApiKey";
  var MIN_ZOOM_POINTS = 7, MAX_POINTS = 5000, PAGE = 1000, MIN_ZOOM_CIRCLES = 12;
  var esc = L.pvz.escapeHtml;
  var $ = function (id) { return document.getElementById(id); };
  var ui = window.pvzUi = { pointsById: {}, loads: 0, lastCheck: null, whitespace: null,
    scoring: null, lastScore: null, whiteZones: null };
  var checkSeq = 0;

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
        return r.text().then(function (t) {
          var data = null;
          try { data = t ? JSON.parse(t) : null; } catch (e) { data = { message: t }; }
          if (!r.ok) {
            if (r.status === 401) { sessionStorage.removeItem(KEY); askKey(); }
            throw new ApiError(r.status, data);
          }
          return data;
        });
      });
  }

  function fail(what) {
    return function (err) {
      if (err && err.name === "AbortError") return;
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

  /* ------------------------------------------------------------ map and layers */
  var map = ui.map = L.map("map", { preferCanvas: true, worldCopyJump: false })
    .setView([55.75, 37.62], 10);
  L.control.scale().addTo(map);
  var renderer = L.canvas({ padding: 0.3 });
  var pointsLayer = L.layerGroup().addTo(map);
  var densityLayer = ui.densityLayer = L.layerGroup().addTo(map);
  var circlesLayer = L.layerGroup().addTo(map);
  var checkLayer = L.layerGroup().addTo(map);
  var whiteLayer = ui.whiteLayer = L.geoJSON(null, { style: { color: "#e6550d", weight: 1.5,
    fillColor: "#fd8d3c", fillOpacity: 0.35 }, onEachFeature: function (f, layer) {
      var p = f.properties || {};
      layer.bindTooltip("White space #" + esc(p.rank) + ": " +
        Math.round(p.demand || 0).toLocaleString() + " people, best site " +
        Number(p.best_lat).toFixed(4) + ", " + Number(p.best_lon).toFixed(4));
    } });
  var heatLayer = L.heatLayer([], { radius: 18, blur: 20, max: 1.0, minOpacity: 0.25 });
  var overlays = { "Points": pointsLayer, "Network density": densityLayer, "Protection circles": circlesLayer,
    "Demand heat": heatLayer, "Check result": checkLayer };
  var control = L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  var COLORS = { partner: "#1f77b4", own: "#2ca02c", postamat: "#9467bd" };

  fetch("/map/static/vendor/world-atlas/outline.geojson").then(function (r) { return r.json(); })
    .then(function (fc) {
      L.geoJSON(fc, { interactive: false, style: { color: "#7a8a99", weight: 1,
        fillColor: "#f7f5ef", fillOpacity: 1 } }).addTo(map).bringToBack();
    }).catch(fail("outline"));

  function wrapLon(lon) { return ((lon + 180) % 360 + 360) % 360 - 180; }

  function viewBbox() {
    var b = map.getBounds();
    var w = b.getWest(), e = b.getEast();
    if (e - w >= 360) return null;
    var s = Math.max(b.getSouth(), -90), n = Math.min(b.getNorth(), 90);
    return [wrapLon(w), s, wrapLon(e), n].map(function (v) { return v.toFixed(5); }).join(",");
  }

  function pointColor(p) {
    return p.status === "closed" ? "#b0b0b0" : (COLORS[p.kind] || "#8c564b");
  }

  function pointPopup(id, p) {
    var rows = [["kind", p.kind], ["status", p.status], ["radius, m", p.radius_m],
      ["settlement", p.settlement], ["opened", p.opened_on], ["area, m2", p.area_m2],
      ["rating", p.rating], ["partner", p.partner_id]];
    return "<b>Point " + esc(id) + "</b><table class='pvz-popup'>" + rows.filter(function (r) {
      return r[1] !== null && r[1] !== undefined && r[1] !== "";
    }).map(function (r) { return "<tr><th>" + esc(r[0]) + "</th><td>" + esc(r[1]) + "</td></tr>"; })
      .join("") + "</table>";
  }

  var loadCtl = null, loadTimer = null;
  function scheduleLoad() { clearTimeout(loadTimer); loadTimer = setTimeout(loadPoints, 200); }

  function loadPoints() {
    if (!sessionStorage.getItem(KEY)) return;
    if (loadCtl) loadCtl.abort();
    var bbox = viewBbox();
    if (map.getZoom() < MIN_ZOOM_POINTS || !bbox) {
      pointsLayer.clearLayers(); circlesLayer.clearLayers(); ui.pointsById = {};
      loadDensity(bbox || "-180,-90,180,90");
      return;
    }
    densityLayer.clearLayers();
    ui.density = null;
    var ctl = loadCtl = new AbortController();
    var got = [], seq = ++ui.loads;
    function page(cursor) {
      var q = "/v1/points?limit=" + PAGE + "&bbox=" + bbox +
        (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
      return api("GET", q, undefined, ctl.signal).then(function (fc) {
        got = got.concat(fc.features);
        if (fc.next_cursor && got.length < MAX_POINTS) return page(fc.next_cursor);
        return fc.next_cursor ? "more" : "all";
      });
    }
    page(null).then(function (how) {
      if (seq !== ui.loads) return;
      pointsLayer.clearLayers();
      ui.pointsById = {};
      got.forEach(function (f) {
        var p = f.properties, c = f.geometry.coordinates;
        ui.pointsById[f.id] = { lat: c[1], lon: c[0], props: p };
        L.circleMarker([c[1], c[0]], { renderer: renderer, radius: 5, weight: 1,
          color: p.status === "paused" ? "#ff7f0e" : "#fff", fillColor: pointColor(p),
          fillOpacity: 0.95, bubblingMouseEvents: false })
          .bindPopup(pointPopup(f.id, p)).addTo(pointsLayer);
      });
      drawCircles();
      $("status").textContent = got.length + " points in view" +
        (how === "more" ? " (first " + got.length + "; zoom in for all)" : "");
      ui.loaded = got.length;
    }).catch(fail("Loading points"));
  }

  /* Below MIN_ZOOM_POINTS: the network as point counts per H3 cell (GET /v1/points/density),
   * one circle per cell, its area proportional to the count. */
  function loadDensity(bbox) {
    var ctl = loadCtl = new AbortController(), seq = ++ui.loads;
    $("status").textContent = "Loading the network density…";
    api("GET", "/v1/points/density?bbox=" + bbox, undefined, ctl.signal).then(function (fc) {
      if (seq !== ui.loads) return;
      densityLayer.clearLayers();
      var max = 1;
      fc.features.forEach(function (f) { max = Math.max(max, f.properties.count); });
      fc.features.forEach(function (f) {
        var c = f.geometry.coordinates, p = f.properties;
        L.circleMarker([c[1], c[0]], { renderer: renderer,
          radius: 3 + 17 * Math.sqrt(p.count / max), weight: 1, color: "#08519c", fillColor: "#3182bd", fillOpacity: 0.55,
          bubblingMouseEvents: false })
          .bindTooltip(p.count.toLocaleString() + " points (" + p.live.toLocaleString() + " live)")
          .addTo(densityLayer);
      });
      ui.density = fc.features.length;
      ui.loaded = 0;
      $("status").textContent = fc.total.toLocaleString() + " points in view (" +
        fc.live.toLocaleString() + " live); zoom in to see them one by one.";
    }).catch(fail("Loading the network density"));
  }

  function drawCircles() {
    circlesLayer.clearLayers();
    if (map.getZoom() < MIN_ZOOM_CIRCLES) return;
    Object.keys(ui.pointsById).slice(0, 2000).forEach(function (id) {
      var p = ui.pointsById[id];
      if (p.props.status === "closed" || !(p.props.radius_m > 0)) return;
      L.polygon(PvzGeo.circle(p.lat, p.lon, p.props.radius_m, 64), { renderer: renderer,
        color: pointColor(p.props), weight: 1, fillOpacity: 0.06, interactive: false })
        .addTo(circlesLayer);
    });
  }

  map.on("moveend", scheduleLoad);
  map.on("moveend", loadWhitespace);
  map.on("overlayadd", function (e) {
    if (e.layer === heatLayer) loadDemand();
    if (e.layer === whiteLayer) loadWhitespace();
  });

  /* ------------------------------------------------------------ demand, white space */
  var demandLoaded = false;
  function loadDemand() {
    if (demandLoaded) return;
    demandLoaded = true;
    api("GET", "/map/demand.json").then(function (rows) { heatLayer.setLatLngs(rows); })
      .catch(function (e) { demandLoaded = false; fail("Demand heat")(e); });
  }

  /* The white-space layer is offered only when the API serves GET /v1/whitespace, and scores
   * are asked for only when it serves POST /v1/candidates/score (its OpenAPI document says so);
   * asking the document avoids a 404 in the console. */
  function probeWhitespace() {
    api("GET", "/openapi.json").then(function (doc) {
      var paths = (doc && doc.paths) || {};
      ui.whitespace = !!(paths["/v1/whitespace"] && paths["/v1/whitespace"].get);
      ui.scoring = !!(paths["/v1/candidates/score"] && paths["/v1/candidates/score"].post);
      if (ui.whitespace) control.addOverlay(whiteLayer, "White space");
    }).catch(function () { ui.whitespace = false; ui.scoring = false; });
  }

  function loadWhitespace() {
    if (!ui.whitespace || !map.hasLayer(whiteLayer)) return;
    var bbox = viewBbox();
    if (!bbox) return;
    api("GET", "/v1/whitespace?limit=200&bbox=" + bbox).then(function (fc) {
      whiteLayer.clearLayers();
      whiteLayer.addData(fc);
      ui.whiteZones = fc.features.length;
    }).catch(fail("White space"));
  }

  /* ------------------------------------------------------------ protection check */
  function locate(id) {
    if (ui.pointsById[id]) return Promise.resolve(ui.pointsById[id]);
    var path = /^A/.test(id) ? "/v1/applications/" : "/v1/points/";
    return api("GET", path + encodeURIComponent(id)).then(function (p) {
      return { lat: p.lat, lon: p.lon, props: p };
    }).catch(function () { return null; });
  }

  var SCORE_KEYS = [["score", "score"], ["expected_turnover_rub", "expected turnover, RUB"],
    ["turnover_rub", "expected turnover, RUB"], ["expected_reward_rub", "expected reward, RUB"],
    ["reward_rub", "expected reward, RUB"], ["net_gain_rub", "net gain for the network, RUB"]];

  /* "5638651.94" -> "5 638 651.94" (narrow no-break spaces between thousands). */
  function money(v) {
    var m = String(v).match(/^(-?)(\d+)(\.\d+)?$/);
    if (!m) return String(v);
    return m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f") + (m[3] || "");
  }

  function scoreRows(obj) {
    var out = "";
    SCORE_KEYS.forEach(function (k) {
      var v = obj && obj[k[0]];
      if (v !== null && v !== undefined && typeof v !== "object") {
        var shown = /_rub$/.test(k[0]) ? money(v) : v;
        out += "<div>" + esc(k[1]) + ": <b>" + esc(shown) + "</b></div>";
      }
    });
    if (obj && obj.score && typeof obj.score === "object") {
      Object.keys(obj.score).forEach(function (k) {
        out += "<div>" + esc(k) + ": <b>" + esc(obj.score[k]) + "</b></div>";
      });
    }
    return out;
  }

  /* The expected monthly turnover and reward of a location (POST /v1/candidates/score),
   * appended to ``target`` unless a newer check replaced it. A key that may not score (a
   * partner's) turns scoring off quietly. */
  function scoreAt(lat, lon, features, target, seq) {
    if (!ui.scoring || !target) return Promise.resolve(null);
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
        return esc(c.point_id) + " −" + esc(money(c.loss_rub));
      }).join(", ");
      div.innerHTML = scoreRows(r) + (losers ? "<div>takes from: " + losers + " RUB</div>" : "");
      target.appendChild(div);
      return r;
    }).catch(function (err) {
      if (err && err.status === 403) { ui.scoring = false; return null; }
      fail("Score")(err);
      return null;
    });
  }

  function checkAt(lat, lon, opts) {
    opts = opts || {};
    var seq = ++checkSeq;
    var body = { lat: lat, lon: wrapLon(lon) };
    return api("POST", "/v1/protection/check", body).then(function (res) {
      var conflicts = res.conflicts.filter(function (c) { return c.point_id !== opts.self; });
      ui.lastCheck = { lat: lat, lon: lon, result: res, conflicts: conflicts };
      checkLayer.clearLayers();
      var ok = conflicts.length === 0;
      L.polygon(PvzGeo.circle(lat, lon, res.radius_m, 96), { renderer: renderer,
        color: ok ? "#1b7f2a" : "#c62828", weight: 2, fillOpacity: 0.08, interactive: false })
        .addTo(checkLayer);
      L.circleMarker([lat, lon], { renderer: renderer, radius: 7, color: "#000", weight: 2,
        fillColor: ok ? "#2ecc71" : "#e74c3c", fillOpacity: 1, bubblingMouseEvents: false })
        .addTo(checkLayer);
      var html = "<div class='" + (ok ? "allowed'>Allowed" : "blocked'>Blocked") + "</div>" +
        "<div>at " + lat.toFixed(5) + ", " + wrapLon(lon).toFixed(5) + "</div>" +
        "<div>radius " + esc(res.radius_m) + " m · " + esc(res.settlement || "open country") +
        "</div>" + scoreRows(res);
      if (!ok) {
        html += "<table class='conf'><tr><th>blocking point</th><th>distance</th><th>radius</th>" +
          "</tr>" + conflicts.map(function (c) {
            return "<tr class='conflict' data-id='" + esc(c.point_id) + "'><td>" + esc(c.point_id) +
              "</td><td class='dist'>" + c.distance_m.toFixed(1) + " m</td><td>" +
              esc(c.radius_m) + " m</td></tr>";
          }).join("") + "</table>";
      }
      (opts.target || $("check-result")).innerHTML = html;
      scoreAt(lat, lon, opts.features, opts.target || $("check-result"), seq);
      conflicts.slice(0, 20).forEach(function (c) {
        locate(c.point_id).then(function (p) {
          if (!p) return;
          L.polyline([[lat, lon], [p.lat, p.lon]], { renderer: renderer, color: "#c62828",
            weight: 2, dashArray: "4 4" }).addTo(checkLayer)
            .bindTooltip(c.point_id + ": " + c.distance_m.toFixed(1) + " m",
              { permanent: true, className: "pvz-dist", direction: "center" });
          L.circleMarker([p.lat, p.lon], { renderer: renderer, radius: 7, color: "#c62828",
            weight: 3, fillOpacity: 0 }).addTo(checkLayer);
        });
      });
      return res;
    }).catch(fail("Protection check"));
  }
  ui.checkAt = checkAt;

  map.on("click", function (e) { checkAt(e.latlng.lat, e.latlng.lng); });

  /* ------------------------------------------------------------ applications queue */
  var apps = {};
  function loadQueue() {
    return api("GET", "/v1/applications?status=pending&limit=200").then(function (res) {
      var list = $("queue-list");
      list.innerHTML = "";
      apps = {};
      res.applications.forEach(function (a) {
        apps[a.id] = a;
        var li = document.createElement("li");
        li.dataset.id = a.id;
        li.innerHTML = esc(a.id) + " · " + esc(a.partner_id) + " · " +
          esc(a.settlement || "open country") + " · <span class='" +
          (a.allowed ? "allowed'>allowed" : "blocked'>blocked") + "</span>";
        li.addEventListener("click", function () { selectApp(a.id); });
        list.appendChild(li);
      });
      if (!res.applications.length) list.innerHTML = "<li class='hint'>No pending applications.</li>";
      ui.queue = res.applications.length;
    }).catch(fail("Applications"));
  }

  function selectApp(id) {
    var a = apps[id];
    if (!a) return;
    Array.prototype.forEach.call($("queue-list").children, function (li) {
      li.classList.toggle("sel", li.dataset.id === id);
    });
    map.flyTo([a.lat, a.lon], 15, { duration: 0.5 });
    var d = $("app-detail");
    d.innerHTML = "<h3>" + esc(a.id) + "</h3><div>partner " + esc(a.partner_id) + ", kind " +
      esc(a.kind) + ", radius " + esc(a.radius_m) + " m</div>" +
      (a.address ? "<div>" + esc(a.address) + "</div>" : "") +
      "<div>at submission: <span class='" + (a.allowed ? "allowed'>allowed" : "blocked'>blocked") +
      "</span>" + (a.reserved_until ? " (reserved until " + esc(a.reserved_until) + ")" : "") +
      "</div>" + scoreRows(a) + "<div id='app-check'></div>" +
      "<button id='approve'>Approve</button><input id='reject-reason' placeholder='reason'>" +
      "<button id='reject'>Reject</button>";
    checkAt(a.lat, a.lon, { self: a.id, target: $("app-check"), features: a });
    $("approve").addEventListener("click", function () { decide(a, "approve"); });
    $("reject").addEventListener("click", function () { decide(a, "reject"); });
  }

  function decide(a, verb) {
    var body = verb === "reject" ? { reason: $("reject-reason").value || "rejected on the map" }
      : undefined;
    return api("POST", "/v1/applications/" + encodeURIComponent(a.id) + "/" + verb, body)
      .then(function (res) {
        message(verb === "approve" ? "Approved " + a.id + ": now point " + (res.point_id || "")
          : "Rejected " + a.id, "ok");
        $("app-detail").innerHTML = "";
        loadQueue();
        loadPoints();
      })
      .catch(function (err) {
        if (err.status === 409) {
          var det = (err.body.detail || []).map(function (c) {
            return c.point_id ? c.point_id + " at " + Number(c.distance_m).toFixed(1) + " m" : "";
          }).filter(Boolean).join(", ");
          message("409 Conflict: " + a.id + " cannot be approved: " + err.message +
            (det ? " (" + det + ")" : ""), "conflict", true);
          loadQueue();
        } else {
          fail(verb === "approve" ? "Approve" : "Reject")(err);
        }
      });
  }
  $("queue-refresh").addEventListener("click", loadQueue);

  /* ------------------------------------------------------------ settlement search */
  var places = null;
  function norm(s) { return String(s).toLowerCase().replace(/ё/g, "е").trim(); }
  function search(q) {
    var n = norm(q), out = $("search-results");
    out.innerHTML = "";
    if (!n || !places) return;
    var pre = [], sub = [];
    for (var i = 0; i < places.length && pre.length < 10; i++) {
      var p = places[i], a = norm(p[0]), b = norm(p[1]);
      if (a.indexOf(n) === 0 || b.indexOf(n) === 0) pre.push(p);
      else if (sub.length < 10 && (a.indexOf(n) >= 0 || b.indexOf(n) >= 0)) sub.push(p);
    }
    pre.concat(sub).slice(0, 10).forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = p[1] + " / " + p[0] + " (" + p[4].toLocaleString() + ")";
      li.addEventListener("click", function () {
        map.flyTo([p[2], p[3]], p[4] > 1e6 ? 10 : p[4] > 1e5 ? 12 : 13, { duration: 0.5 });
        out.innerHTML = "";
      });
      out.appendChild(li);
    });
  }
  $("search").addEventListener("input", function (e) {
    var q = e.target.value;
    if (places) return search(q);
    fetch("/map/settlements.json").then(function (r) { return r.json(); })
      .then(function (rows) { places = rows; search($("search").value); })
      .catch(fail("Settlements"));
  });

  /* ------------------------------------------------------------ start */
  var started = false;
  function start() {
    if (started) { loadPoints(); loadQueue(); return; }
    started = true;
    $("who").textContent = "";
    loadPoints();
    loadQueue();
    probeWhitespace();
  }
  if (sessionStorage.getItem(KEY)) start(); else askKey();
})();
