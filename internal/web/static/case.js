// civicgrid case pages: the location picker of the intake forms, the small
// map of a case, and a few form helpers. Every form works without it: the
// coordinates are plain inputs, the not-accepted reason is checked again by
// the server, and the idempotency key makes a second click harmless.
(function () {
  "use strict";

  // Points are kept as WGS-84 (GPS), the datum of the region boundaries
  // the maps draw; the forms send crs=wgs84 with them.
  var MARK = { radius: 9, color: "#c8102e", weight: 3, fillColor: "#fff", fillOpacity: 1 };

  function num(v) { var n = parseFloat(v); return isNaN(n) ? null : n; }
  // esc makes text safe to put into HTML.
  function esc(s) { var d = document.createElement("div"); d.textContent = s; return d.innerHTML; }

  function baseMap(el) {
    // Leaflet titles its zoom buttons in English; a Chinese page says 放大/缩小.
    if (document.documentElement.lang !== "en") L.Control.Zoom.mergeOptions({ zoomInTitle: "放大", zoomOutTitle: "缩小" });
    var map = L.map(el, { zoomControl: true, attributionControl: !!el.dataset.basemap });
    if (el.dataset.basemap) {
      L.tileLayer(el.dataset.basemap, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
    } else {
      el.classList.add("map-plain");
    }
    return map;
  }

  // boundary draws the user's grids (patrol), the operator's streets,
  // communities or grids (hotline), or a resident's own community, so that a
  // map without tiles still shows where it is.
  function boundary(map, el, fit) {
    var style = function () { return { color: "#2563eb", weight: 1.5, fillColor: "#3b82f6", fillOpacity: 0.08 }; };
    if (el.dataset.outline) {
      // A resident's own community, given with the page.
      try {
        var own = L.geoJSON(JSON.parse(el.dataset.outline), { style: style, interactive: false }).addTo(map);
        if (fit && own.getLayers().length) { map.fitBounds(own.getBounds(), { padding: [12, 12] }); }
      } catch (e) { /* the map still works without the outline */ }
      return;
    }
    if (!el.dataset.under || !el.dataset.level) { return; }
    var url = "/api/v1/regions/geojson?under=" + encodeURIComponent(el.dataset.under) + "&level=" + encodeURIComponent(el.dataset.level);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (fc) {
        var layer = L.geoJSON(fc, { style: style, interactive: false }).addTo(map);
        if (fit && layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [12, 12] }); }
      })
      .catch(function () { /* the map still works without the outline */ });
  }

  function picker(el) {
    var form = el.closest("form");
    var lng = form.querySelector("input[name=lng]");
    var lat = form.querySelector("input[name=lat]");
    var crs = form.querySelector("input[name=crs]");
    var status = document.getElementById("case-map-status");
    var map = baseMap(el);
    var marker = null;

    function place(la, ln, zoom) {
      if (marker) { marker.setLatLng([la, ln]); } else { marker = L.circleMarker([la, ln], MARK).addTo(map); }
      if (zoom) { map.setView([la, ln], Math.max(map.getZoom(), zoom)); }
    }
    function set(la, ln) {
      lng.value = ln.toFixed(6);
      lat.value = la.toFixed(6);
      if (crs) { crs.value = "wgs84"; }
      place(la, ln);
    }

    var la0 = num(lat.value), ln0 = num(lng.value);
    var cla = num(el.dataset.centerLat), cln = num(el.dataset.centerLng);
    if (la0 !== null && ln0 !== null) {
      map.setView([la0, ln0], 16);
      place(la0, ln0);
    } else if (cla && cln) {
      map.setView([cla, cln], 14);
    } else {
      map.setView([35, 105], 4);
    }
    boundary(map, el, la0 === null);

    map.on("click", function (e) { set(e.latlng.lat, e.latlng.lng); });
    [lng, lat].forEach(function (inp) {
      inp.addEventListener("change", function () {
        var a = num(lat.value), b = num(lng.value);
        if (a !== null && b !== null) { place(a, b, 16); }
      });
    });

    var geo = form.querySelector("[data-case-geolocate]");
    if (geo && navigator.geolocation) {
      geo.hidden = false;
      geo.addEventListener("click", function () {
        if (status) { status.textContent = geo.dataset.locating; }
        navigator.geolocation.getCurrentPosition(function (pos) {
          if (status) { status.textContent = ""; }
          set(pos.coords.latitude, pos.coords.longitude);
          map.setView([pos.coords.latitude, pos.coords.longitude], 17);
        }, function () {
          if (status) { status.textContent = geo.dataset.failed; }
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }
  }

  function viewer(el) {
    var la = num(el.dataset.lat), ln = num(el.dataset.lng);
    if (la === null || ln === null) { return; }
    var map = baseMap(el);
    map.setView([la, ln], 16);
    L.circleMarker([la, ln], MARK).addTo(map);
    boundary(map, el, false);
  }

  // The not-accepted reason shows as soon as such a category is chosen.
  function category(sel) {
    var box = document.getElementById("category-reason");
    if (!box) { return; }
    var text = box.querySelector(".case-reason-text");
    var ack = box.querySelector("input[name=ack_not_accepted]");
    sel.addEventListener("change", function () {
      var opt = sel.options[sel.selectedIndex];
      var reason = opt && opt.getAttribute("data-reason");
      box.hidden = !reason;
      if (reason) { text.textContent = reason; } else if (ack) { ack.checked = false; }
    });
  }

  // A checkbox that reveals a related field (the hotline's answer).
  function toggle(cb) {
    var target = document.getElementById(cb.dataset.caseToggle);
    if (!target) { return; }
    var sync = function () { target.hidden = !cb.checked; };
    cb.addEventListener("change", sync);
    sync();
  }

  // Photos: a preview of what was chosen and warnings before sending
  // (the server checks again). Where the browser lets a script set an
  // input's files, photos taken one at a time with the camera and those
  // picked from the album are pooled in the album input, and each can be
  // taken out again.
  // nearby shows open cases of the chosen category close to the chosen
  // place, so that a resident can join one (附议) rather than report the
  // same problem again. The picker sets the inputs without events, so the
  // form is looked at every second and a half. Cases the likely-duplicates
  // box (_duplicates.html) already offers are left out here, so that no
  // case is offered twice.
  function nearby(box) {
    var form = box.closest("form");
    var last = "";
    function offered() {
      var ids = {};
      form.querySelectorAll("#dup-suggestions [formaction]").forEach(function (b) {
        var m = /\/cases\/(\d+)\/join$/.exec(b.getAttribute("formaction"));
        if (m) { ids[m[1]] = true; }
      });
      return ids;
    }
    function look() {
      var lng = form.elements.lng && form.elements.lng.value, lat = form.elements.lat && form.elements.lat.value;
      var cat = form.elements.category_code && form.elements.category_code.value;
      var skip = offered();
      var key = [lng, lat, cat, Object.keys(skip).sort().join(",")].join("|");
      if (key === last) { return; }
      last = key;
      if (!lng || !lat || !cat) { box.hidden = true; return; }
      var crs = form.elements.crs ? form.elements.crs.value : "wgs84";
      fetch("/api/v1/cases/nearby?lng=" + encodeURIComponent(lng) + "&lat=" + encodeURIComponent(lat) +
            "&crs=" + encodeURIComponent(crs) + "&category=" + encodeURIComponent(cat), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (j) {
          var items = (j.items || []).filter(function (n) { return !skip[String(n.id)]; });
          if (!items.length) { box.hidden = true; box.innerHTML = ""; return; }
          var html = "<p><strong>" + esc(box.dataset.title) + "</strong></p><ul>";
          items.forEach(function (n) {
            html += "<li><span>" + esc(n.title) + " · " + esc(box.dataset.metres.replace("%d", Math.round(n.distance_m))) +
              " · " + esc(box.dataset.reporters.replace("%d", n.reporters)) + "</span>" +
              "<button type=\"submit\" class=\"btn btn-secondary btn-sm\" formaction=\"/cases/" + n.id + "/join\" formnovalidate>" +
              esc(box.dataset.join) + "</button></li>";
          });
          box.innerHTML = html + "</ul>";
          box.hidden = false;
        })
        .catch(function () { box.hidden = true; });
    }
    look();
    setInterval(look, 1500);
  }

  // callerHistory shows an operator the caller's earlier cases as soon as
  // the number is typed: the same person calling again about the same
  // problem (一人多诉) is one case to chase, not a new one.
  function callerHistory(box) {
    var input = box.closest("form").elements.reporter_phone;
    if (!input) { return; }
    function look() {
      var phone = input.value.trim();
      if (phone.length < 7) { box.hidden = true; return; }
      fetch("/api/v1/cases?limit=5&phone=" + encodeURIComponent(phone), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (j) {
          if (!j.items || !j.items.length) { box.hidden = true; return; }
          var html = "<p><strong>" + esc(box.dataset.title.replace("%d", j.total)) + "</strong>" +
            (j.total >= 3 ? " <span class=\"tag tag-warn\">" + esc(box.dataset.many) + "</span>" : "") + "</p><ul>";
          j.items.forEach(function (c) {
            html += "<li><a href=\"/cases/" + c.id + "\" target=\"_blank\" rel=\"noopener\">" + esc(c.number) + "</a> " + esc(c.title) + "</li>";
          });
          box.innerHTML = html + "</ul>";
          box.hidden = false;
        })
        .catch(function () { box.hidden = true; });
    }
    input.addEventListener("change", look);
    input.addEventListener("blur", look);
    look();
  }

  // callerHouses offers an operator the homes registered with the
  // caller's number (addresses only), to file the problem at one of them.
  function callerHouses(box) {
    var form = box.closest("form");
    var input = form.elements.reporter_phone;
    var field = box.closest("fieldset");
    if (!input || !field) { return; }
    function look() {
      var phone = input.value.trim();
      if (phone.length < 7) { field.hidden = !box.querySelector("input[value]:not([value=''])"); return; }
      fetch("/api/v1/cases/caller-houses?phone=" + encodeURIComponent(phone), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (j) {
          var items = j.items || [];
          if (!items.length) { box.textContent = ""; field.hidden = true; return; }
          var html = "<label class=\"case-radio\"><input type=\"radio\" name=\"house_id\" value=\"\" checked> " + esc(box.dataset.none) + "</label>";
          items.forEach(function (h) {
            html += "<label class=\"case-radio\"><input type=\"radio\" name=\"house_id\" value=\"" + h.id + "\"> " + esc(h.address) + "</label>";
          });
          box.innerHTML = html;
          field.hidden = false;
        })
        .catch(function () {});
    }
    input.addEventListener("change", look);
    input.addEventListener("blur", look);
  }

  function photoField(el) {
    var inputs = Array.prototype.slice.call(el.querySelectorAll("input[data-photo-input]"));
    var album = inputs.filter(function (i) { return i.multiple; })[0];
    var list = el.querySelector("[data-photo-preview]");
    var warn = el.querySelector("[data-photo-warn]");
    var max = parseInt(el.dataset.max, 10) || 9;
    var maxBytes = parseInt(el.dataset.maxBytes, 10) || 10485760;
    var urls = [];
    var dropped = [];
    var pool = null;
    try { if (album && typeof DataTransfer === "function") { new DataTransfer(); pool = []; } } catch (e) { pool = null; }

    function chosen() {
      if (pool) { return pool; }
      var all = [];
      inputs.forEach(function (i) { all = all.concat(Array.prototype.slice.call(i.files || [])); });
      return all;
    }
    function sync() {
      if (!pool) { return; }
      var dt = new DataTransfer();
      pool.slice(0, max).forEach(function (f) { dt.items.add(f); });
      album.files = dt.files;
      inputs.forEach(function (i) { if (i !== album) { i.value = ""; } });
    }
    function show() {
      urls.forEach(function (u) { URL.revokeObjectURL(u); });
      urls = [];
      list.textContent = "";
      var files = chosen(), msgs = dropped.slice();
      if (files.length > max) { msgs.push(el.dataset.tooMany); }
      files.forEach(function (f, i) {
        if (!/^image\//.test(f.type)) { msgs.push(el.dataset.notImage + f.name); }
        else if (f.size > maxBytes) { msgs.push(el.dataset.tooBig + f.name); }
        var li = document.createElement("li");
        if (/^image\//.test(f.type)) {
          var img = document.createElement("img");
          var u = URL.createObjectURL(f);
          urls.push(u);
          img.src = u;
          img.alt = f.name;
          li.appendChild(img);
        } else {
          li.textContent = f.name;
        }
        if (pool) {
          var rm = document.createElement("button");
          rm.type = "button";
          rm.className = "photo-remove";
          rm.textContent = "×";
          rm.setAttribute("aria-label", (el.dataset.remove || "×") + " " + f.name);
          rm.addEventListener("click", function () { pool.splice(i, 1); sync(); show(); });
          li.appendChild(rm);
        }
        if (i >= max) { li.className = "photo-over"; }
        list.appendChild(li);
      });
      list.hidden = !files.length;
      warn.hidden = !msgs.length;
      warn.textContent = msgs.join(" ");
    }
    inputs.forEach(function (inp) {
      inp.addEventListener("change", function () {
        if (pool) {
          // A new pick replaces what the input held; the pool keeps the
          // earlier ones. Files the server would refuse are left out, so
          // that they never make the whole form too large to be read.
          dropped = [];
          Array.prototype.slice.call(inp.files || []).forEach(function (f) {
            if (!/^image\//.test(f.type)) { dropped.push(el.dataset.droppedNotImage + f.name); }
            else if (f.size > maxBytes) { dropped.push(el.dataset.droppedTooBig + f.name); }
            else { pool.push(f); }
          });
          sync();
        }
        show();
      });
    });
  }

  // A thumbnail opens its photo over the page; without <dialog> the link
  // opens the photo itself.
  function photoDialog(dlg) {
    if (typeof dlg.showModal !== "function") { return; }
    var img = dlg.querySelector("img");
    document.querySelectorAll("a[data-photo-open]").forEach(function (a) {
      a.addEventListener("click", function (e) {
        e.preventDefault();
        var thumb = a.querySelector("img");
        img.src = a.href;
        img.alt = thumb ? thumb.alt : "";
        dlg.showModal();
      });
    });
    dlg.addEventListener("click", function (e) { if (e.target === dlg || e.target === img) { dlg.close(); } });
  }

  function init() {
    if (typeof L !== "undefined") {
      document.querySelectorAll("[data-case-map=pick]").forEach(picker);
      document.querySelectorAll("[data-case-map=view]").forEach(viewer);
    }
    document.querySelectorAll("select[data-case-category]").forEach(category);
    document.querySelectorAll("input[data-case-toggle]").forEach(toggle);
    document.querySelectorAll("[data-photo-field]").forEach(photoField);
    document.querySelectorAll("[data-nearby]").forEach(nearby);
    document.querySelectorAll("[data-caller-history]").forEach(callerHistory);
    document.querySelectorAll("[data-caller-houses]").forEach(callerHouses);
    document.querySelectorAll("dialog[data-photo-dialog]").forEach(photoDialog);
    // Choosing an organisation or a region picks that way of dispatching.
    document.querySelectorAll(".case-target select").forEach(function (sel) {
      sel.addEventListener("change", function () {
        var mode = sel.name === "target_org_id" ? "org" : "region";
        var radio = sel.closest("fieldset").querySelector("input[name=target][value=" + mode + "]");
        if (radio && sel.value) { radio.checked = true; }
      });
    });
    // One click files one case; the key would catch a second, but the
    // resident should not wonder whether it went twice.
    document.querySelectorAll("form.case-form").forEach(function (f) {
      f.addEventListener("submit", function () {
        var b = f.querySelector("[data-case-submit]");
        if (b) { window.setTimeout(function () { b.disabled = true; }, 0); }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
