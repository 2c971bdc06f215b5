// civicgrid: the little JavaScript every page uses. Everything here is an
// enhancement; pages work without it.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  // show opens the folded sections (<details>) around el and brings it into
  // view: a link to #act-visit must show the rating form, not its closed
  // summary, and a refused form its first problem.
  function show(el, block) {
    for (var d = el; d; d = d.parentElement) {
      if (d.tagName === "DETAILS") { d.open = true; }
    }
    el.scrollIntoView({ block: block || "start" });
  }
  function showTarget() {
    var id = location.hash.slice(1);
    var el = id && document.getElementById(decodeURIComponent(id));
    if (el) { show(el); }
    return !!el;
  }
  window.addEventListener("hashchange", showTarget);

  // tieErrors ties each field's refusal to its control, for screen
  // readers: the control is marked invalid and described by the message.
  // Templates that already did so are left as they are.
  var errN = 0;
  function tieErrors(scope) {
    scope.querySelectorAll(".field .field-error").forEach(function (p) {
      var ctl = p.closest(".field").querySelector("input:not([type=hidden]), select, textarea");
      if (!ctl) { return; }
      var by = (ctl.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      var holder = p.parentElement && p.parentElement.id;
      if (by.indexOf(p.id) < 0 && !(holder && by.indexOf(holder) >= 0)) {
        if (!p.id) { p.id = "field-error-" + (++errN); }
        by.push(p.id);
        ctl.setAttribute("aria-describedby", by.join(" "));
      }
      ctl.setAttribute("aria-invalid", "true");
    });
  }
  document.addEventListener("htmx:afterSwap", function (e) { tieErrors(e.target); });

  document.addEventListener("DOMContentLoaded", function () {
    tieErrors(document);
    // A refused form reloads the page at the top: show its first problem,
    // unless the address names a part of the page to show.
    if (!showTarget()) {
      var bad = document.querySelector("main .field-error, main .alert-error");
      if (bad) { show(bad, "center"); }
    }
    // The side navigation folds away on phones behind the menu button.
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("sidenav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", String(open));
        document.body.classList.toggle("nav-open", open);
      });
    }
  });

  // Destructive forms carry data-confirm with the question to ask.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var msg = form && form.getAttribute && form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  // "Go back and correct it" on a refused form's page goes back in the
  // history, where the browser keeps what was typed; the link itself is
  // the way without script (or when the page was opened on its own).
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[data-history-back]");
    if (a && window.history.length > 1) {
      e.preventDefault();
      window.history.back();
    }
  });

  // A print button prints the page (no inline handlers: the pages' content
  // policy runs no inline script).
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-print]")) { window.print(); }
  });

  // A just-created secret is selected when focused, ready to copy.
  document.addEventListener("focusin", function (e) {
    if (e.target.hasAttribute && e.target.hasAttribute("data-select-on-focus")) {
      e.target.select();
    }
  });

  // htmx leaves error responses unswapped by default; ours are friendly
  // fragments in the user's language, so show them where the result goes.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var status = e.detail.xhr.status;
    if (status >= 400 && status !== 401) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  // A page opened with ?lang= asks its fragments (search results, the
  // next page of a list) in the same language, not the cookie's.
  var asked = new URLSearchParams(location.search).get("lang");
  if (asked === "en" || asked === "zh") {
    document.addEventListener("htmx:configRequest", function (e) {
      if (!("lang" in e.detail.parameters)) e.detail.parameters.lang = asked;
    });
  }
})();

// The bell's unread count, live: the inbox streams new notifications as
// server-sent events (EventSource reconnects by itself).
(function () {
  var bell = document.getElementById("bell-count");
  if (!bell || !window.EventSource) { return; }
  function show(n) {
    bell.textContent = n > 99 ? "99+" : String(n);
    bell.hidden = !(n > 0);
  }
  fetch("/api/v1/notifications?limit=1", { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (j) { if (j) { show(j.unread); } })
    .catch(function () {});
  var es = new EventSource("/api/v1/notifications/stream");
  es.addEventListener("notification", function (e) {
    try { show(JSON.parse(e.data).unread); } catch (err) { /* ignore a bad frame */ }
  });
})();
