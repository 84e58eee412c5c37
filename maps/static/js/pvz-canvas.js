/* pvz-canvas.js: canvas layers for Leaflet that draw hundreds of thousands of points from one
 * compact columnar blob (see maps/encoding.py), their protection circles (geodesic, when zoomed
 * in) and conflict lines. One canvas per layer, redrawn after each move; clicks pick the
 * nearest drawn feature. Needs Leaflet (L) and pvz-geo.js (PvzGeo). */
(function (root) {
  "use strict";
  var L = root.L;
  var Geo = root.PvzGeo;
  var MAXLAT = 85.0511287798;
  var D2R = Math.PI / 180;
  var LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

  function bytes(text) {
    var bin = atob(text), n = bin.length, u8 = new Uint8Array(n);
    for (var i = 0; i < n; i++) u8[i] = bin.charCodeAt(i);
    return u8.buffer;
  }

  function pad(num, width) {
    var s = String(num);
    while (s.length < width) s = "0" + s;
    return s;
  }

  /* One popup column: {label, get(i)} from its encoded spec. */
  function column(spec) {
    var get;
    if (spec.enc === "codes") {
      var codes = new (spec.width === 1 ? Uint8Array : Uint16Array)(bytes(spec.data));
      get = function (i) { return spec.values[codes[i]]; };
    } else if (spec.enc === "idnum") {
      var nums = new Int32Array(bytes(spec.data));
      get = function (i) { return spec.prefix + pad(nums[i], spec.width); };
    } else {
      get = function (i) { return spec.data[i]; };
    }
    return { name: spec.name, label: spec.label || spec.name, get: get, fmt: spec.fmt || "" };
  }

  /* A popup value in the blob's locale: "1 234,5", "12 345 ₽", "1 мар. 2024 г." (ru-RU). */
  function shown(v, fmt, locale) {
    if (!fmt || !locale || typeof Intl === "undefined") return v;
    if (fmt === "date") {
      var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(v));
      return m ? new Intl.DateTimeFormat(locale, { dateStyle: "medium" })
        .format(new Date(+m[1], +m[2] - 1, +m[3])) : v;
    }
    var x = Number(v);
    if (v === "" || !isFinite(x)) return v;
    var opts = fmt === "int" ? { maximumFractionDigits: 0 }
      : fmt === "rub" ? { style: "currency", currency: "RUB", maximumFractionDigits: 0 }
      : { maximumFractionDigits: 3 };
    return new Intl.NumberFormat(locale, opts).format(x);
  }

  /* Decode a blob: {n, lat, lon (base64 int32 microdegrees), cls, classes, radius?, cols}. */
  function decode(blob) {
    var n = blob.n;
    var ilat = new Int32Array(bytes(blob.lat)), ilon = new Int32Array(bytes(blob.lon));
    var lat = new Float64Array(n), lon = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      lat[i] = ilat[i] / 1e6;
      lon[i] = Geo.unwrapLon(ilon[i] / 1e6);
    }
    var cls = blob.cls ? new Uint8Array(bytes(blob.cls)) : new Uint8Array(n);
    var radius = blob.radius ? column(blob.radius) : null;
    return { n: n, lat: lat, lon: lon, cls: cls, classes: blob.classes || [{ color: "#3366cc" }],
      radius: radius, cols: (blob.cols || []).map(column), title: blob.title || "",
      locale: blob.locale || "" };
  }

  function mercX(lon) { return (lon + 180) / 360; }
  function mercY(lat) {
    var phi = Math.max(-MAXLAT, Math.min(MAXLAT, lat)) * D2R;
    return (1 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / Math.PI) / 2;
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function popupTable(d, i) {
    var rows = "";
    for (var k = 0; k < d.cols.length; k++) {
      var v = d.cols[k].get(i);
      if (v === null || v === undefined || v === "") continue;
      v = shown(v, d.cols[k].fmt, d.locale);
      rows += "<tr><th>" + escapeHtml(d.cols[k].label) + "</th><td>" + escapeHtml(v) +
        "</td></tr>";
    }
    var head = d.title ? "<b>" + escapeHtml(d.title) + "</b>" : "";
    return head + '<table class="pvz-popup">' + rows + "</table>";
  }

  var registry = root.pvzLayers = root.pvzLayers || [];

  /* A layer drawn on its own canvas, the size of the map view, redrawn after each move. */
  var CanvasBase = L.Layer.extend({
    options: { pane: "overlayPane", name: "" },

    onAdd: function (map) {
      this._canvas = L.DomUtil.create("canvas", "leaflet-zoom-hide pvz-canvas");
      this._canvas.style.pointerEvents = "none";
      this.getPane().appendChild(this._canvas);
      this._redraw();
    },

    onRemove: function () {
      L.DomUtil.remove(this._canvas);
      this._canvas = null;
      this.drawn = 0;
    },

    getEvents: function () {
      return { moveend: this._redraw, resize: this._redraw, viewreset: this._redraw,
        click: this._onClick };
    },

    _redraw: function () {
      var map = this._map;
      if (!map || !this._canvas) return;
      var size = map.getSize(), dpr = root.devicePixelRatio || 1, c = this._canvas;
      var topLeft = map.containerPointToLayerPoint([0, 0]);
      L.DomUtil.setPosition(c, topLeft);
      c.width = Math.round(size.x * dpr);
      c.height = Math.round(size.y * dpr);
      c.style.width = size.x + "px";
      c.style.height = size.y + "px";
      var ctx = c.getContext("2d");
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, size.x, size.y);
      var origin = map.getPixelOrigin();
      var z = map.getZoom();
      this._t = { s: 256 * Math.pow(2, z), ox: origin.x + topLeft.x, oy: origin.y + topLeft.y,
        w: size.x, h: size.y, z: z };
      this._paint(ctx, this._t);
    },

    _onClick: function (e) {
      if (!this._t || !this.options.interactive) return;
      var hit = this.hit(e.containerPoint);
      if (hit >= 0) {
        L.popup({ maxWidth: 360 }).setLatLng(this.latLngOf(hit))
          .setContent(this.popupOf(hit)).openOn(this._map);
      }
    }
  });

  /* Points (and their protection circles) from a decoded blob. */
  var PointsLayer = CanvasBase.extend({
    options: { size: 3, shape: "circle", circlesMinZoom: 12, maxCircles: 3000,
      circleVertices: 64, interactive: true, outline: null },

    initialize: function (blob, options) {
      L.setOptions(this, options);
      var d = this.data = decode(blob);
      var n = d.n;
      this._x = new Float64Array(n);
      this._y = new Float64Array(n);
      for (var i = 0; i < n; i++) {
        this._x[i] = mercX(d.lon[i]);
        this._y[i] = mercY(d.lat[i]);
      }
      var k = d.classes.length, counts = new Int32Array(k + 1);
      for (i = 0; i < n; i++) counts[d.cls[i] + 1]++;
      for (i = 0; i < k; i++) counts[i + 1] += counts[i];
      this._start = counts.slice();
      var order = new Int32Array(n), fill = counts.slice(0, k);
      for (i = 0; i < n; i++) order[fill[d.cls[i]]++] = i;
      this._order = order;
      this._vis = new Int32Array(n);
      this._vx = new Float32Array(n);
      this._vy = new Float32Array(n);
      this._circles = {};
      this.drawn = 0;
      this.circlesDrawn = 0;
      registry.push(this);
    },

    count: function () { return this.data.n; },

    _paint: function (ctx, t) {
      var d = this.data, x = this._x, y = this._y, order = this._order, vis = this._vis;
      var vx = this._vx, vy = this._vy, m = 0, pad = 12;
      var clsStart = new Int32Array(d.classes.length + 1);
      for (var c = 0; c < d.classes.length; c++) {
        clsStart[c] = m;
        for (var j = this._start[c]; j < this._start[c + 1]; j++) {
          var i = order[j], px = x[i] * t.s - t.ox, py = y[i] * t.s - t.oy;
          if (px < -pad || py < -pad || px > t.w + pad || py > t.h + pad) continue;
          vis[m] = i; vx[m] = px; vy[m] = py; m++;
        }
      }
      clsStart[d.classes.length] = m;
      this.drawn = m;
      this.circlesDrawn = 0;
      if (d.radius && t.z >= this.options.circlesMinZoom && m <= this.options.maxCircles) {
        this._paintCircles(ctx, t, m, clsStart);
      }
      var big = m > 20000, size = this.options.size, half = size / 2;
      var r = big ? size / 2 : size;
      if (big && this._paintPixels(ctx, t, clsStart)) return;
      for (c = 0; c < d.classes.length; c++) {
        if (clsStart[c] === clsStart[c + 1]) continue;
        var cl = d.classes[c];
        // a hollow class (paused) is a white dot in a ring of its colour; tiny squares
        // (national view) keep the colour
        ctx.fillStyle = cl.hollow && !big ? "#fff" : cl.color;
        if (big) {
          for (j = clsStart[c]; j < clsStart[c + 1]; j++) ctx.fillRect(vx[j] - half, vy[j] - half, size, size);
          continue;
        }
        ctx.beginPath();
        for (j = clsStart[c]; j < clsStart[c + 1]; j++) {
          if (this.options.shape === "diamond") {
            ctx.moveTo(vx[j], vy[j] - r - 1); ctx.lineTo(vx[j] + r + 1, vy[j]);
            ctx.lineTo(vx[j], vy[j] + r + 1); ctx.lineTo(vx[j] - r - 1, vy[j]); ctx.closePath();
          } else {
            ctx.moveTo(vx[j] + r, vy[j]);
            ctx.arc(vx[j], vy[j], r, 0, 2 * Math.PI);
          }
        }
        ctx.fill();
        ctx.lineWidth = cl.stroke ? 2.5 : 0.75;
        ctx.strokeStyle = cl.stroke || "rgba(255,255,255,0.9)";
        ctx.stroke();
      }
    },

    /* Many points (national view): squares written straight into the canvas pixels, class
     * by class as fillRect would draw them, about 10x faster than 250,000 fillRect calls.
     * Only when nothing else is on the canvas (no circles at this many points) and every
     * class colour is #rrggbb; false: the caller draws with fillRect. */
    _paintPixels: function (ctx, t, clsStart) {
      var d = this.data, dpr = root.devicePixelRatio || 1, cols = [];
      if (!LITTLE_ENDIAN || this.circlesDrawn) return false;
      for (var c = 0; c < d.classes.length; c++) {
        var hex = /^#([0-9a-f]{6})$/i.exec(d.classes[c].color || "");
        if (!hex) return false;
        var v = parseInt(hex[1], 16);
        cols.push(((255 << 24) | ((v & 255) << 16) | (v & 0xff00) | (v >> 16)) >>> 0);
      }
      var W = ctx.canvas.width, H = ctx.canvas.height;
      if (!W || !H) return true;
      var img = ctx.createImageData(W, H), px = new Uint32Array(img.data.buffer);
      var s = Math.max(1, Math.round(this.options.size * dpr)), half = s / 2;
      var vx = this._vx, vy = this._vy;
      for (c = 0; c < d.classes.length; c++) {
        var col = cols[c];
        for (var j = clsStart[c]; j < clsStart[c + 1]; j++) {
          var x0 = Math.round(vx[j] * dpr - half), y0 = Math.round(vy[j] * dpr - half);
          var x1 = Math.min(W, x0 + s), y1 = Math.min(H, y0 + s);
          if (x0 < 0) x0 = 0;
          if (y0 < 0) y0 = 0;
          for (var y = y0; y < y1; y++) {
            for (var x = x0, row = y * W; x < x1; x++) px[row + x] = col;
          }
        }
      }
      ctx.putImageData(img, 0, 0);
      this.pixelPainted = true;
      return true;
    },

    _paintCircles: function (ctx, t, m, clsStart) {
      var d = this.data, nv = this.options.circleVertices;
      for (var c = 0; c < d.classes.length; c++) {
        if (clsStart[c] === clsStart[c + 1]) continue;
        ctx.beginPath();
        for (var j = clsStart[c]; j < clsStart[c + 1]; j++) {
          var ring = this.circleOf(this._vis[j], nv);
          if (!ring) continue;
          for (var k = 0; k < ring.length; k += 2) {
            var px = ring[k] * t.s - t.ox, py = ring[k + 1] * t.s - t.oy;
            if (k === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
          }
          ctx.closePath();
          this.circlesDrawn++;
        }
        ctx.globalAlpha = 0.08;
        ctx.fillStyle = d.classes[c].color;
        ctx.fill();
        ctx.globalAlpha = 0.7;
        ctx.lineWidth = 1;
        ctx.strokeStyle = d.classes[c].color;
        ctx.stroke();
        ctx.globalAlpha = 1;
      }
    },

    /* The geodesic protection circle of point i as [x0, y0, x1, y1, ...] (web mercator 0..1). */
    circleOf: function (i, nv) {
      var key = i, hit = this._circles[key];
      if (hit !== undefined) return hit;
      var r = this.data.radius ? parseFloat(this.data.radius.get(i)) : NaN;
      if (!(r > 0)) return (this._circles[key] = null);
      var ring = Geo.circle(this.data.lat[i], this.data.lon[i], r, nv || 64);
      var out = new Float64Array(ring.length * 2);
      for (var k = 0; k < ring.length; k++) {
        out[2 * k] = mercX(ring[k][1]);
        out[2 * k + 1] = mercY(ring[k][0]);
      }
      return (this._circles[key] = out);
    },

    /* Index of the drawn point nearest to a container point (within tol px), or -1. */
    hit: function (cp, tol) {
      tol = tol || this.options.size + 5;
      var best = -1, bestD = tol * tol;
      for (var j = 0; j < this.drawn; j++) {
        var dx = this._vx[j] - cp.x, dy = this._vy[j] - cp.y, dd = dx * dx + dy * dy;
        if (dd <= bestD) { bestD = dd; best = this._vis[j]; }
      }
      return best;
    },

    latLngOf: function (i) { return L.latLng(this.data.lat[i], this.data.lon[i]); },
    popupOf: function (i) {
      return this.options.popup ? this.options.popup(this.data, i) : popupTable(this.data, i);
    }
  });

  /* Straight segments between pairs of locations (conflicts), with a popup per segment. */
  var LinesLayer = CanvasBase.extend({
    options: { color: "#d62728", width: 2, interactive: true },

    initialize: function (lines, options) {
      L.setOptions(this, options);
      this.lines = lines;
      this.drawn = 0;
      registry.push(this);
    },

    count: function () { return this.lines.length; },

    _paint: function (ctx, t) {
      var m = 0;
      this._mid = [];
      ctx.beginPath();
      for (var i = 0; i < this.lines.length; i++) {
        var ln = this.lines[i];
        var ax = mercX(Geo.unwrapLon(ln[1])) * t.s - t.ox, ay = mercY(ln[0]) * t.s - t.oy;
        var bx = mercX(Geo.unwrapLon(ln[3])) * t.s - t.ox, by = mercY(ln[2]) * t.s - t.oy;
        if (Math.max(ax, bx) < 0 || Math.min(ax, bx) > t.w ||
            Math.max(ay, by) < 0 || Math.min(ay, by) > t.h) continue;
        ctx.moveTo(ax, ay);
        ctx.lineTo(bx === ax && by === ay ? bx + 1 : bx, by);
        this._mid.push([(ax + bx) / 2, (ay + by) / 2, i]);
        m++;
      }
      ctx.lineWidth = this.options.width;
      ctx.strokeStyle = this.options.color;
      ctx.stroke();
      this.drawn = m;
    },

    hit: function (cp, tol) {
      tol = tol || 8;
      var best = -1, bestD = tol * tol;
      for (var k = 0; k < (this._mid || []).length; k++) {
        var dx = this._mid[k][0] - cp.x, dy = this._mid[k][1] - cp.y, dd = dx * dx + dy * dy;
        if (dd <= bestD) { bestD = dd; best = this._mid[k][2]; }
      }
      return best;
    },

    latLngOf: function (i) {
      var ln = this.lines[i];
      return L.latLng((ln[0] + ln[2]) / 2, (Geo.unwrapLon(ln[1]) + Geo.unwrapLon(ln[3])) / 2);
    },
    popupOf: function (i) { return this.lines[i][4]; }
  });

  /* A metric-only scale bar whose units read in the map's language: options.units is
   * ["м", "км"] or ["m", "km"] (default), changeable later with setUnits. */
  var MetricScale = L.Control.Scale.extend({
    options: { imperial: false, metric: true, maxWidth: 150, units: ["m", "km"] },
    _updateMetric: function (maxMeters) {
      var m = this._getRoundNum(maxMeters), u = this.options.units;
      this._updateScale(this._mScale, m < 1000 ? m + " " + u[0] : m / 1000 + " " + u[1],
        m / maxMeters);
    },
    setUnits: function (units) {
      this.options.units = units;
      if (this._map) this._update();
      return this;
    }
  });

  L.pvz = {
    scale: function (options) { return new MetricScale(options); },
    decode: decode,
    escapeHtml: escapeHtml,
    shown: shown,
    points: function (blob, options) { return new PointsLayer(blob, options); },
    lines: function (lines, options) { return new LinesLayer(lines, options); },
    PointsLayer: PointsLayer,
    LinesLayer: LinesLayer
  };
})(window);
