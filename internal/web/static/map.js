// civicgrid maps: the full grid map (data-mode="full") and the small map of
// a region page (data-mode="region"). Boundaries come from the JSON API as
// GeoJSON, one request per level so that each stays within the API's page.
(function () {
  "use strict";

  // plainText is s as a text node for Leaflet: a string given to a tooltip
  // is read as HTML, and names and notes are what people typed.
  function plainText(s) {
    var span = document.createElement("span");
    span.textContent = s == null ? "" : String(s);
    return span;
  }

  // Level styles: the administrative levels are outlines in distinct
  // colours; grids are lightly filled so that they read as the clickable
  // layer; micro-grids are fine dotted lines.
  var STYLES = {
    city: { color: "#0b1f44", weight: 3, fill: false, dashArray: null },
    district: { color: "#1d4ed8", weight: 3, fill: false },
    street: { color: "#c8102e", weight: 2.5, fill: false, dashArray: "8 5" },
    community: { color: "#0f766e", weight: 2, fill: false },
    grid: { color: "#2563eb", weight: 1, fill: true, fillColor: "#3b82f6", fillOpacity: 0.12 },
    microgrid: { color: "#7c3aed", weight: 1, fill: false, dashArray: "2 3" }
  };
  var ORDER = ["city", "district", "street", "community", "grid", "microgrid"];
  var CLICKABLE = { grid: true, microgrid: false };

  function split(s) { return (s || "").split(",").filter(Boolean); }

  function status(text) {
    var el = document.getElementById("map-status");
    if (el) { el.textContent = text; }
  }

  function fetchLevel(under, level) {
    var url = "/api/v1/regions/geojson?under=" + encodeURIComponent(under) + "&level=" + encodeURIComponent(level);
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  function init() {
    var el = document.getElementById("map");
    if (!el || typeof L === "undefined") {
      if (el) { document.body.dataset.mapReady = "0"; }
      return;
    }
    var mode = el.dataset.mode;
    var under = el.dataset.under;
    // Leaflet titles its zoom buttons in English; a Chinese page says 放大/缩小.
    if (document.documentElement.lang !== "en") L.Control.Zoom.mergeOptions({ zoomInTitle: "放大", zoomOutTitle: "缩小" });
    var map = L.map(el, { zoomControl: true, attributionControl: !!el.dataset.basemap, preferCanvas: false });
    if (el.dataset.basemap) {
      L.tileLayer(el.dataset.basemap, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
    } else {
      el.classList.add("map-plain");
    }
    map.setView([35, 105], 4);

    var layers = {};   // level key → L.GeoJSON
    var byCode = {};   // region code → Leaflet layer
    var loaded = {};   // level key → promise
    var selected = null;

    function highlight(layer) {
      if (selected) { selected.setStyle(STYLES[selected.feature.properties.level]); }
      selected = layer;
      if (layer) {
        layer.setStyle({ color: "#c8102e", weight: 3, fillColor: "#c8102e", fillOpacity: 0.18 });
        layer.bringToFront();
      }
    }

    function openCard(code) {
      var panel = document.getElementById("grid-card");
      if (!panel) { return; }
      document.body.classList.add("panel-open");
      panel.setAttribute("aria-busy", "true");
      fetch(el.dataset.card + encodeURIComponent(code), { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          panel.innerHTML = html; // server-rendered and escaped by html/template
          panel.removeAttribute("aria-busy");
        })
        .catch(function () { panel.removeAttribute("aria-busy"); });
    }

    function onFeature(feature, layer) {
      var p = feature.properties;
      byCode[p.code] = layer;
      layer.bindTooltip(plainText(p.name), { sticky: true, direction: "top" });
      if (mode === "region" && p.code !== under) {
        layer.on("click", function () { window.location.href = "/regions/" + encodeURIComponent(p.code); });
      } else if (mode === "full" && CLICKABLE[p.level]) {
        layer.on("click", function () { highlight(layer); openCard(p.code); });
      }
    }

    function load(level) {
      if (!loaded[level]) {
        loaded[level] = fetchLevel(under, level).then(function (fc) {
          var interactive = mode === "region" ? true : !!CLICKABLE[level];
          var style = STYLES[level] || STYLES.grid;
          if (mode === "region" && level !== split(el.dataset.levels)[0]) {
            // On a region page the children are what one clicks.
            style = Object.assign({}, style, { fill: true, fillColor: style.color, fillOpacity: 0.08 });
          }
          layers[level] = L.geoJSON(fc, {
            style: function () { return style; },
            interactive: interactive,
            onEachFeature: onFeature,
            // Each path gets the class, so a browser test can find and
            // click grid polygons (path.region-grid).
            className: "region region-" + level
          });
          return fc.features.length;
        });
      }
      return loaded[level];
    }

    function show(level, on) {
      return load(level).then(function (n) {
        if (on) { layers[level].addTo(map); } else { map.removeLayer(layers[level]); }
        restack();
        return n;
      });
    }

    // Grids on top of the outlines would hide them; outlines are not
    // interactive, so they can sit above without stealing clicks.
    function restack() {
      ORDER.forEach(function (k) {
        if (layers[k] && map.hasLayer(layers[k]) && k !== "grid") { layers[k].bringToFront(); }
      });
    }

    var initial = split(el.dataset.levels);
    status(document.getElementById("map-status") ? document.getElementById("map-status").dataset.loading : "");
    Promise.all(initial.map(function (lv) { return show(lv, true); })).then(function (counts) {
      var total = counts.reduce(function (a, b) { return a + b; }, 0);
      var bounds = L.latLngBounds([]);
      initial.forEach(function (lv) { if (layers[lv].getLayers().length) { bounds.extend(layers[lv].getBounds()); } });
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [16, 16] }); }
      var st = document.getElementById("map-status");
      if (st) { status(st.dataset.drawn.replace("%d", String(total))); }
      document.body.dataset.mapReady = String(total);
    }).catch(function () {
      var st = document.getElementById("map-status");
      if (st) { status(st.dataset.failed); }
      document.body.dataset.mapReady = "0";
      document.body.dataset.mapError = "1";
    });

    // On a phone the legend starts folded so that it does not hide the map.
    var legend = document.querySelector(".map-legend");
    if (legend && window.matchMedia && window.matchMedia("(max-width: 959.98px)").matches) { legend.open = false; }

    // Legend checkboxes switch levels on and off.
    document.querySelectorAll(".map-legend input[data-level]").forEach(function (cb) {
      cb.addEventListener("change", function () { show(cb.dataset.level, cb.checked); });
    });

    var close = document.querySelector(".map-panel-close");
    if (close) {
      close.hidden = false;
      close.addEventListener("click", function () { document.body.classList.remove("panel-open"); highlight(null); });
    }

    // A located point: mark it and select its grid.
    var marker = null;
    document.addEventListener("htmx:afterSwap", function (e) {
      if (!e.detail.target || e.detail.target.id !== "locate-result") { return; }
      document.body.classList.add("panel-open");
      var res = e.detail.target.querySelector(".locate-result[data-lng]");
      if (!res) { return; }
      var ll = [parseFloat(res.dataset.lat), parseFloat(res.dataset.lng)];
      if (marker) { map.removeLayer(marker); }
      marker = L.circleMarker(ll, { radius: 8, color: "#c8102e", weight: 3, fillColor: "#fff", fillOpacity: 1 }).addTo(map);
      var code = res.dataset.code || "";
      var layer = byCode[code] || byCode[code.slice(0, 15)];
      if (layer) { highlight(layer); map.fitBounds(layer.getBounds(), { maxZoom: 17, padding: [24, 24] }); } else { map.setView(ll, 16); }
    });

    // The map is laid out by CSS; tell Leaflet when the panel changes it.
    window.addEventListener("resize", function () { map.invalidateSize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
