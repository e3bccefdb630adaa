// Renewal plan page (docs/rules.md rule 22): what the next renewal will cost follows the
// figures typed — the plan's users × years, or the current users for one year when both
// are blank — and the licenses the paying organization would have left. The server
// computed the first figures; this is only a preview. No inline script (strict CSP).
(function () {
  "use strict";

  var figure = window.PortalFigures.figure;

  function typed(input) {
    var value = input ? parseInt(input.value, 10) : NaN;
    return isNaN(value) || value < 1 ? null : value;
  }

  var form = document.querySelector("form.renewal-plan-form");
  if (!form) {
    return;
  }
  var cost = form.querySelector("[data-testid='plan-cost']");
  var after = form.querySelector("[data-testid='balance-after']");
  var users = form.querySelector("input[name='users']");
  var years = form.querySelector("input[name='years']");
  var currentUsers = parseInt(form.dataset.currentUsers, 10) || 0;
  var balance = parseInt(form.dataset.balance, 10) || 0;

  function update() {
    var planUsers = typed(users);
    var planYears = typed(years);
    var licenses =
      planUsers === null && planYears === null
        ? currentUsers
        : (planUsers === null ? currentUsers : planUsers) * (planYears === null ? 1 : planYears);
    cost.textContent = figure(licenses);
    cost.dataset.licenses = String(licenses);
    after.textContent = figure(balance - licenses);
    after.classList.toggle("text-danger", balance - licenses < 0);
  }

  [users, years].forEach(function (input) {
    if (input) {
      input.addEventListener("input", update);
    }
  });
})();
