// civicgrid one-screen overview: draws each card's figures (the JSON in
// #ov-data, the same numbers as the server-rendered tables) with ECharts,
// the child regions with Leaflet, and refreshes every 30 s by swapping the
// server-rendered figures and tables and updating the charts in place.
(function () {
  "use strict";

  // plainText is s as a text node for Leaflet: a string given to a tooltip
  // is read as HTML, and names and notes are what people typed.
  function plainText(s) {
    var span = document.createElement("span");
    span.textContent = s == null ? "" : String(s);
    return span;
  }
  var COLORS = ["#0b3d91", "#c8102e", "#0f766e", "#b45309", "#7c3aed", "#2563eb", "#db2777", "#65a30d"];
  var GRADES = [0, 1, 5, 10, 20, 50];
  var SHADES = ["#f1f5f9", "#fde2c4", "#fbbf77", "#f59e0b", "#ea580c", "#c2410c"];
  var charts = {};
  var data = null;
  var mapLayer = null;

  function readData() {
    var el = document.getElementById("ov-data");
    try { return el ? JSON.parse(el.textContent) : null; } catch (e) { return null; }
  }

  function go(url) { if (url) { window.location.href = url; } }

  function option(c) {
    var base = { color: COLORS, tooltip: { trigger: c.kind === "pie" ? "item" : "axis" }, animation: false };
    var labels = c.labels || [];
    if (c.kind === "pie") {
      // Labels wrap rather than run off the chart's edge (English source
      // names are long); the ring leaves them room.
      base.series = [{ type: "pie", radius: ["30%", "58%"], avoidLabelOverlap: true,
        label: { formatter: "{b}\n{c}", width: 84, overflow: "break" }, labelLine: { length: 6, length2: 6 },
        data: labels.map(function (l, i) { return { name: l, value: c.series[1][i] }; }) }];
      return base;
    }
    var rateAxis = c.rate.some(function (r) { return r; });
    base.legend = { top: 0, type: "scroll" };
    base.grid = { left: 40, right: rateAxis ? 44 : 12, top: 30, bottom: 24, containLabel: true };
    var horizontal = c.kind === "bar" && labels.length > 5;
    var cat = { type: "category", data: labels, axisLabel: { hideOverlap: true } };
    var val = { type: "value", minInterval: 1 };
    if (horizontal) {
      base.xAxis = val; base.yAxis = Object.assign({}, cat, { inverse: true });
    } else {
      base.xAxis = cat; base.yAxis = rateAxis ? [val, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }] : val;
    }
    base.series = [];
    for (var i = 1; i < c.head.length; i++) {
      var s = { name: c.head[i], type: c.kind === "line" && !c.rate[i] ? "line" : (c.kind === "bar" ? "bar" : "line"), data: c.series[i] };
      if (c.rate[i]) { s.yAxisIndex = 1; s.lineStyle = { type: "dashed", width: 1.5 }; s.symbol = "none"; s.connectNulls = true; }
      if (c.kind === "line" && !c.rate[i]) { s.type = i === 1 ? "bar" : "line"; s.smooth = true; }
      base.series.push(s);
    }
    return base;
  }

  function drawCharts() {
    if (typeof echarts === "undefined") { return false; }
    Object.keys(data.charts).forEach(function (id) {
      var c = data.charts[id];
      var el = document.querySelector('.ov-chart[data-chart="' + id + '"]');
      if (!el || c.kind === "map") { return; }
      if (!charts[id]) {
        charts[id] = echarts.init(el, null, { renderer: "canvas" });
        charts[id].on("click", function (ev) {
          var cur = data.charts[id];
          go(cur.links && cur.links[ev.dataIndex]);
        });
      }
      charts[id].setOption(option(c), true);
    });
    return true;
  }

  function shade(n) {
    var k = 0;
    for (var i = 0; i < GRADES.length; i++) { if (n >= GRADES[i]) { k = i; } }
    return n <= 0 ? SHADES[0] : SHADES[Math.max(1, k)];
  }

  function regionFigures() {
    var c = data.charts.regions, out = {};
    if (!c) { return out; }
    (c.codes || []).forEach(function (code, i) {
      out[code] = { reported: c.series[2][i] || 0, open: c.series[3][i] || 0, link: (c.links || [])[i] };
    });
    return out;
  }

  function styleMap() {
    if (!mapLayer) { return; }
    var figs = regionFigures();
    mapLayer.eachLayer(function (layer) {
      var f = figs[layer.feature.properties.code] || { open: 0, reported: 0 };
      layer.setStyle({ color: "#334155", weight: 1, fillColor: shade(f.open), fillOpacity: 0.8 });
      layer.setTooltipContent(layer.feature.properties.name + " · " + f.reported + " / " + f.open);
    });
  }

  function drawMap() {
    var el = document.getElementById("ov-map");
    if (!el || typeof L === "undefined" || !el.dataset.under) {
      document.body.dataset.ovMap = "0";
      return;
    }
    // Leaflet titles its zoom buttons in English; a Chinese page says 放大/缩小.
    if (document.documentElement.lang !== "en") L.Control.Zoom.mergeOptions({ zoomInTitle: "放大", zoomOutTitle: "缩小" });
    var map = L.map(el, { attributionControl: false });
    map.setView([35, 105], 4);
    var url = "/api/v1/regions/geojson?under=" + encodeURIComponent(el.dataset.under) + "&level=" + encodeURIComponent(el.dataset.level);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (fc) {
        mapLayer = L.geoJSON(fc, {
          className: "ov-region",
          onEachFeature: function (feature, layer) {
            layer.bindTooltip(plainText(feature.properties.name), { sticky: true });
            layer.on("click", function () {
              var f = regionFigures()[feature.properties.code];
              go(f && f.link ? f.link : (feature.properties.code !== data.scope ? "/overview?scope=" + encodeURIComponent(feature.properties.code) + (data.period !== "today" ? "&period=" + data.period : "") : ""));
            });
          }
        }).addTo(map);
        styleMap();
        if (mapLayer.getLayers().length) { map.fitBounds(mapLayer.getBounds(), { padding: [8, 8] }); }
        document.body.dataset.ovMap = String(fc.features.length);
      })
      .catch(function () { document.body.dataset.ovMap = "0"; });
    window.addEventListener("resize", function () { map.invalidateSize(); });
  }

  // refresh fetches the live fragment and swaps what it holds by id.
  function refresh() {
    var root = document.getElementById("overview");
    var u = new URL(window.location.href);
    u.searchParams.set("fragment", "1");
    fetch(u.toString(), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["ov-asof", "ov-figures"].concat(Array.prototype.map.call(doc.querySelectorAll(".ov-table"), function (t) { return t.id; }))
          .forEach(function (id) {
            var src = doc.getElementById(id), dst = document.getElementById(id);
            if (src && dst) { dst.innerHTML = src.innerHTML; }
          });
        var js = doc.getElementById("ov-data");
        if (js) {
          data = JSON.parse(js.textContent);
          document.getElementById("ov-data").textContent = js.textContent;
          drawCharts();
          styleMap();
        }
        root.dataset.refreshed = String((parseInt(root.dataset.refreshed || "0", 10) || 0) + 1);
      })
      .catch(function () { /* keep the figures shown; the next poll retries */ });
  }

  function init() {
    var root = document.getElementById("overview");
    data = readData();
    if (!root || !data) { return; }
    if (typeof echarts !== "undefined") { root.classList.add("ov-js"); }
    document.querySelectorAll(".ov-card").forEach(function (card) {
      var btn = card.querySelector(".ov-toggle");
      if (!btn || !root.classList.contains("ov-js")) { return; }
      btn.hidden = false;
      btn.addEventListener("click", function () {
        var on = card.classList.toggle("ov-tabular");
        btn.setAttribute("aria-pressed", on ? "true" : "false");
        btn.textContent = on ? btn.dataset.chart : btn.dataset.table;
        var ch = charts[card.dataset.card];
        if (ch && !on) { ch.resize(); }
      });
    });
    drawCharts();
    drawMap();
    document.body.dataset.ovCharts = String(Object.keys(charts).length);
    var wall = document.getElementById("ov-wall");
    if (wall) {
      wall.hidden = false;
      var setWall = function (on) {
        document.body.classList.toggle("ov-wall", on);
        Object.keys(charts).forEach(function (k) { charts[k].resize(); });
      };
      if (new URL(window.location.href).searchParams.get("wall") === "1") { setWall(true); }
      wall.addEventListener("click", function () { setWall(!document.body.classList.contains("ov-wall")); });
    }
    window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
    var every = parseInt(root.dataset.refresh, 10) || 30;
    window.setInterval(function () { if (!document.hidden) { refresh(); } }, every * 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
