// The add-users form: each part's cost, the total and "licenses remaining after" follow
// the users typed (docs/rules.md rules 18 and 19). Each part carries the whole years Y and
// the days left over R of its span; N users cost N × Y + ceil(N × R / 365). The server
// computed the first figures and computes again on submit; this is only a preview. No
// inline script (strict CSP): the figures come from data attributes.
(function () {
  "use strict";

  var figure = window.PortalFigures.figure;
  var whole = window.PortalFigures.whole;

  function init(form) {
    var balance = parseInt(form.dataset.balance, 10) || 0;
    var users = form.querySelector("input[name=users]");
    var total = form.querySelector("[data-testid=addon-cost]");
    var after = form.querySelector("[data-testid=balance-after]");
    var short = form.querySelector(".addon-short");
    var parts = form.querySelectorAll("[data-testid=addon-part]");
    if (!users || !total) {
      return;
    }
    function update() {
      var count = whole(users);
      var sum = 0;
      parts.forEach(function (part) {
        var years = parseInt(part.dataset.years, 10) || 0;
        var rest = parseInt(part.dataset.restDays, 10) || 0;
        var cost = count * years + Math.ceil((count * rest) / 365);
        sum += cost;
        part.querySelector("[data-testid=addon-part-cost]").textContent = figure(cost);
      });
      total.textContent = figure(sum);
      if (after) {
        var remaining = balance - sum;
        after.textContent = figure(remaining);
        after.classList.toggle("text-danger", remaining < 0);
        if (short) {
          short.classList.toggle("d-none", remaining >= 0);
        }
      }
    }
    users.addEventListener("input", update);
    update();
  }

  document.querySelectorAll("form.addon-form[data-balance]").forEach(init);
})();
