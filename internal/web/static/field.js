// civicgrid field work: on the worker's own open patrol the phone's
// position is recorded and posted to the API in batches; a finding carries
// the latest position; supervisors see the track on a map. Points are
// numbered per patrol and kept in localStorage until the server has them,
// so a lost connection or a reload loses nothing and a resend stores
// nothing twice.
(function () {
  "use strict";

  // plainText is s as a text node for Leaflet: a string given to a tooltip
  // is read as HTML, and names and notes are what people typed.
  function plainText(s) {
    var span = document.createElement("span");
    span.textContent = s == null ? "" : String(s);
    return span;
  }

  function recorder(el) {
    var id = el.dataset.patrol;
    var store = window.localStorage;
    var key = "cg-patrol-" + id;
    var state = { seq: 0, queue: [], sent: 0 };
    try { state = JSON.parse(store.getItem(key)) || state; } catch (e) { /* start afresh */ }
    var status = document.getElementById("patrol-gps");
    var last = null;
    var sending = false;

    function save() { try { store.setItem(key, JSON.stringify(state)); } catch (e) { /* private mode */ } }
    function say(text) { if (status) { status.textContent = text; } }

    function flush(done) {
      if (sending || state.queue.length === 0) { if (done) { done(); } return; }
      sending = true;
      var batch = state.queue.slice(0, 500);
      fetch("/api/v1/patrols/" + id + "/track", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify({ points: batch })
      }).then(function (r) {
        // Accepted, or refused for good (the patrol ended, a point the
        // server will never take): either way these points are done.
        if (r.ok || r.status === 409 || r.status === 422 || r.status === 404) {
          state.queue = state.queue.slice(batch.length);
          if (r.ok) { state.sent += batch.length; }
          save();
          return r.ok ? r.json() : null;
        }
        return null;
      }).then(function (j) {
        if (j && j.patrol) {
          var fig = document.getElementById("patrol-figures");
          if (fig) { fig.dataset.distance = j.patrol.distance_m; }
        }
        say(el.dataset.msgOn + " " + el.dataset.msgSent + state.sent);
      }).catch(function () { /* offline: the queue waits */ }).then(function () {
        sending = false;
        if (done) { done(); }
      });
    }

    function fillFinding(c) {
      var lng = document.getElementById("finding-lng"), lat = document.getElementById("finding-lat");
      if (lng && lat) { lng.value = c.longitude.toFixed(7); lat.value = c.latitude.toFixed(7); }
    }

    function onPosition(pos) {
      var c = pos.coords;
      fillFinding(c);
      var now = pos.timestamp || Date.now();
      // Keep a point every 10 s, or sooner after 15 m of movement.
      if (last && now - last.t < 10000 && Math.abs(c.latitude - last.lat) < 0.00014 && Math.abs(c.longitude - last.lng) < 0.00018) { return; }
      last = { t: now, lat: c.latitude, lng: c.longitude };
      state.seq += 1;
      state.queue.push({ seq: state.seq, lng: c.longitude, lat: c.latitude, accuracy: Math.round(c.accuracy || 0), at: new Date(now).toISOString() });
      save();
      say(el.dataset.msgOn + " " + el.dataset.msgSent + state.sent);
      if (state.queue.length >= 3) { flush(); }
    }

    if (!navigator.geolocation) { say(el.dataset.msgOff); return; }
    navigator.geolocation.watchPosition(onPosition, function () { say(el.dataset.msgOff); },
      { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
    setInterval(flush, 30000);
    flush();

    // Stopping sends what is left first.
    var stop = document.getElementById("patrol-stop");
    if (stop) {
      stop.addEventListener("submit", function (e) {
        if (stop.dataset.flushed) { return; }
        e.preventDefault();
        flush(function () { stop.dataset.flushed = "1"; stop.submit(); });
      });
    }
  }

  function drawMap(el) {
    if (typeof L === "undefined") { return; }
    var data;
    try { data = JSON.parse(document.getElementById("patrol-data").textContent); } catch (e) { return; }
    // Leaflet titles its zoom buttons in English; a Chinese page says 放大/缩小.
    if (document.documentElement.lang !== "en") L.Control.Zoom.mergeOptions({ zoomInTitle: "放大", zoomOutTitle: "缩小" });
    var map = L.map(el, { attributionControl: !!el.dataset.basemap });
    if (el.dataset.basemap) {
      L.tileLayer(el.dataset.basemap, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
    }
    var bounds = [];
    var line = data.track.map(function (p) { return [p.Lat, p.Lng]; });
    if (line.length) {
      L.polyline(line, { color: "#0b3d91", weight: 4 }).addTo(map);
      bounds = bounds.concat(line);
    }
    data.findings.forEach(function (f) {
      L.circleMarker([f.Lat, f.Lng], { radius: 8, color: "#c8102e", fillOpacity: 0.8 }).bindTooltip(plainText(f.Text)).addTo(map);
      bounds.push([f.Lat, f.Lng]);
    });
    if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 18 }); }
    document.body.dataset.patrolMap = String(line.length);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("patrol");
    if (el && el.dataset.record) { recorder(el); }
    var m = document.getElementById("patrol-map");
    if (m) { drawMap(m); }
  });
})();
