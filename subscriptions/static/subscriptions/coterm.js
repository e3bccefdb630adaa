// Co-terming simulator: choosing another date or ticking a subscription refreshes the
// preview at once, so OK (which sends what the preview shows) never does something the
// page does not show. Without this script the Refresh button does the same.
(function () {
  "use strict";
  var form = document.getElementById("coterm-refresh");
  if (!form) {
    return;
  }
  var controls = document.querySelectorAll(
    "#coterm-end, #coterm-other-end, input[form=coterm-refresh][name=subscriptions]"
  );
  var ok = document.querySelector("[data-testid=coterm-confirm]");
  controls.forEach(function (control) {
    control.addEventListener("change", function () {
      if (ok) {
        ok.disabled = true;
      }
      form.requestSubmit ? form.requestSubmit() : form.submit();
    });
  });
})();
