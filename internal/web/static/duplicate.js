// duplicate.js: the intake form's likely-duplicates box (templates/
// _duplicates.html) asks again when the place changes. The map picker sets
// the lng/lat inputs without events, so they are looked at every second
// and a half, and the box is told with an htmx event.
(function () {
  "use strict";
  document.querySelectorAll("[data-dup-suggest]").forEach(function (box) {
    var form = box.closest("form");
    if (!form) { return; }
    function place() {
      var e = form.elements;
      return [e.lng ? e.lng.value : "", e.lat ? e.lat.value : ""].join("|");
    }
    var last = place();
    setInterval(function () {
      var now = place();
      if (now !== last && window.htmx) {
        last = now;
        window.htmx.trigger(box, "dup-place");
      }
    }, 1500);
  });
})();
