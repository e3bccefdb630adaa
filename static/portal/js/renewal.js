// Renewal form: "licenses remaining after renewal" follows what the user types.
// The server computed the first figure and checks again on submit; this is only a preview.
// No inline script (strict CSP): the pool balance comes from the form's data-balance.
(function () {
  "use strict";

  function whole(input) {
    var value = parseInt(input.value, 10);
    return isNaN(value) || value < 0 ? 0 : value;
  }

  function init(form) {
    var balance = parseInt(form.dataset.balance, 10) || 0;
    var years = form.querySelector("input[name=years]");
    var users = form.querySelector("input[name=users]");
    var after = form.querySelector("[data-testid=balance-after]");
    var short = form.querySelector(".renewal-short");
    if (!years || !users || !after) {
      return;
    }
    function update() {
      var remaining = balance - whole(years) * whole(users);
      after.textContent = String(remaining);
      after.classList.toggle("text-danger", remaining < 0);
      if (short) {
        short.classList.toggle("d-none", remaining >= 0);
      }
    }
    years.addEventListener("input", update);
    users.addEventListener("input", update);
    update();
  }

  document.querySelectorAll("form.renewal-form[data-balance]").forEach(init);
})();
