// Triage suggestions on the intake form: when the suggestion fragment
// arrives, the category is pre-filled with the suggested one unless the
// user chose a category themselves; a suggested category clicked is the
// user's choice. The hidden category_from_model says the category was left
// to the suggestion, so the server may route the case by it (above the
// threshold) or leave it for a dispatcher.
(function () {
  "use strict";
  var sel = document.getElementById("category_code");
  var left = document.getElementById("category_from_model");
  var box = document.getElementById("triage-suggest");
  if (!sel || !left || !box) { return; }
  // The user chose when the form came back with a category not left to
  // the model.
  var userChose = sel.value !== "" && left.value !== "1";
  var setting = false;
  function set(code, byModel) {
    if (!Array.prototype.some.call(sel.options, function (o) { return o.value === code; })) { return; }
    setting = true;
    sel.value = code;
    sel.dispatchEvent(new Event("change", { bubbles: true }));
    setting = false;
    left.value = byModel ? "1" : "";
    userChose = !byModel;
  }
  sel.addEventListener("change", function () {
    if (setting) { return; }
    // Any choice in the list is the user's, "不知道" (empty) included:
    // it is never overwritten by a later suggestion.
    userChose = true;
    left.value = "";
  });
  box.addEventListener("click", function (ev) {
    var b = ev.target.closest("[data-triage-pick]");
    if (b) { set(b.getAttribute("data-triage-pick"), false); }
  });
  document.body.addEventListener("htmx:afterSwap", function (ev) {
    if (ev.target !== box) { return; }
    var top = box.querySelector("[data-triage-top]");
    if (!top) {
      if (left.value === "1") { set("", true); left.value = ""; }
      return;
    }
    if (!userChose) { set(top.getAttribute("data-triage-top"), true); }
  });
})();
