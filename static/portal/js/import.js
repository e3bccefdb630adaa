// Client import: once confirmed, a long file takes a while; say so and prevent a second
// click. The server makes a second submission harmless anyway (one-time token).
(function () {
  "use strict";
  document.querySelectorAll("form[data-import-confirm]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      var progress = form.querySelector("[data-import-progress]");
      if (button) {
        button.disabled = true;
      }
      if (progress) {
        progress.hidden = false;
      }
    });
  });
})();
