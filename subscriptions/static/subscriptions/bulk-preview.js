// Bulk preview: OK renews for the years the preview shows, never for others. Once the
// years next to OK differ from the ones shown, OK is disabled until the preview is
// refreshed. The server refuses such an OK anyway (the page works without this script).
(function () {
  "use strict";
  var form = document.querySelector("form.bulk-preview-form");
  if (!form) {
    return;
  }
  var select = form.querySelector("select[name=years_selected]");
  var help = form.querySelector("[data-shown-years]");
  var ok = form.querySelector("[data-testid=bulk-confirm]");
  var refresh = form.querySelector("[data-testid=bulk-refresh]");
  if (!select || !help) {
    return;
  }
  var current = help.querySelector("[data-years-current]");
  var stale = help.querySelector("[data-years-stale]");

  function update() {
    var changed = select.value !== help.dataset.shownYears;
    if (ok) {
      ok.disabled = changed;
    }
    if (refresh) {
      refresh.classList.toggle("btn-primary", changed);
      refresh.classList.toggle("btn-outline-primary", !changed);
    }
    if (current && stale) {
      current.classList.toggle("d-none", changed);
      stale.classList.toggle("d-none", !changed);
    }
  }

  select.addEventListener("change", update);
  select.addEventListener("input", update);
  // A page restored by Back may keep a changed choice.
  window.addEventListener("pageshow", update);
  update();
})();
