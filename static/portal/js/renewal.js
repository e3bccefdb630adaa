// Renewal and new-client forms: "licenses remaining after" follows what the user types,
// and on the renewal form the new term's end date follows the years (docs/rules.md rule
// 3). The server computed the first figures and checks again on submit; this is only a
// preview. No inline script (strict CSP): the figures come from data attributes.
(function () {
  "use strict";

  var figure = window.PortalFigures.figure;
  var whole = window.PortalFigures.whole;

  function pad(number, width) {
    var text = String(number);
    while (text.length < width) {
      text = "0" + text;
    }
    return text;
  }

  function isLeap(year) {
    return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  }

  // Rule 3: end = start + years - 1 day; a 29 February start lands on the 28th in a
  // common year before the day is taken off, as the server's relativedelta does.
  function termEnd(startIso, years) {
    var parts = startIso.split("-").map(Number);
    var year = parts[0] + years;
    var day = parts[2];
    if (parts[1] === 2 && day === 29 && !isLeap(year)) {
      day = 28;
    }
    var end = new Date(Date.UTC(year, parts[1] - 1, day));
    end.setUTCDate(end.getUTCDate() - 1);
    return end;
  }

  // The Django date format of the page (SHORT_DATE_FORMAT: d/m/Y, m/d/Y…).
  function formatDate(date, format) {
    var values = {
      d: pad(date.getUTCDate(), 2),
      j: String(date.getUTCDate()),
      m: pad(date.getUTCMonth() + 1, 2),
      n: String(date.getUTCMonth() + 1),
      Y: pad(date.getUTCFullYear(), 4),
      y: pad(date.getUTCFullYear() % 100, 2),
    };
    return format.replace(/[djmnYy]/g, function (character) {
      return values[character];
    });
  }

  function isoDate(date) {
    return [
      pad(date.getUTCFullYear(), 4),
      pad(date.getUTCMonth() + 1, 2),
      pad(date.getUTCDate(), 2),
    ].join("-");
  }

  function showAfter(form, balance) {
    var after = form.querySelector("[data-testid=balance-after]");
    var short = form.querySelector(".renewal-short");
    var years = form.querySelector("input[name=years]");
    var users = form.querySelector("input[name=users]");
    if (!after) {
      return;
    }
    if (balance === null) {
      after.textContent = "—";
      after.classList.remove("text-danger");
      return;
    }
    var remaining = balance - whole(years) * whole(users);
    after.textContent = figure(remaining);
    after.classList.toggle("text-danger", remaining < 0);
    if (short) {
      short.classList.toggle("d-none", remaining >= 0);
    }
  }

  function initRenewal(form) {
    var balance = parseInt(form.dataset.balance, 10) || 0;
    var years = form.querySelector("input[name=years]");
    var users = form.querySelector("input[name=users]");
    var term = form.querySelector(".renewal-term");
    var start = form.querySelector("[data-testid=new-start]");
    var end = form.querySelector("[data-testid=new-end]");
    if (!years || !users) {
      return;
    }
    function update() {
      showAfter(form, balance);
      var count = whole(years);
      if (term && start && end && count > 0) {
        var date = termEnd(start.getAttribute("datetime"), count);
        end.setAttribute("datetime", isoDate(date));
        end.textContent = formatDate(date, term.dataset.dateFormat);
      }
    }
    years.addEventListener("input", update);
    users.addEventListener("input", update);
    update();
  }

  // The new client's paying pool: its reseller's when one is chosen, otherwise its
  // partner's (docs/rules.md rule 2); the balance is asked of the server when the payer
  // or the product changes.
  function initNewClient(form) {
    var before = form.querySelector("[data-testid=pool-balance]");
    var payerName = form.querySelector("[data-payer-name]");
    var balance = before.dataset.balance === "" ? null : parseInt(before.dataset.balance, 10);
    var url = form.dataset.balanceUrl;
    var request = 0;
    function payer() {
      var reseller = form.querySelector("select[name=reseller]");
      var partner = form.querySelector("select[name=partner]");
      if (reseller && reseller.value) {
        return reseller;
      }
      if (partner && partner.value) {
        return partner;
      }
      return null;
    }
    function chosenName(select) {
      var option = select.options[select.selectedIndex];
      return option ? option.textContent.trim() : "";
    }
    function refreshPool() {
      var select = payer();
      var product = form.querySelector("select[name=product]");
      var organization = select ? select.value : form.dataset.payer;
      if (payerName) {
        payerName.textContent = select ? chosenName(select) : form.dataset.payerName || "—";
      }
      if (!organization || !product || !product.value) {
        balance = null;
        before.textContent = "—";
        showAfter(form, balance);
        return;
      }
      var mine = ++request;
      var query = "?organization=" + encodeURIComponent(organization) +
        "&product=" + encodeURIComponent(product.value);
      fetch(url + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : { balance: null };
        })
        .then(function (data) {
          if (mine !== request) {
            return;
          }
          balance = data.balance;
          before.textContent = balance === null ? "—" : figure(balance);
          showAfter(form, balance);
        });
    }
    ["years", "users"].forEach(function (name) {
      var input = form.querySelector("input[name=" + name + "]");
      if (input) {
        input.addEventListener("input", function () {
          showAfter(form, balance);
        });
      }
    });
    ["reseller", "partner", "product"].forEach(function (name) {
      var select = form.querySelector("select[name=" + name + "]");
      if (select) {
        select.addEventListener("change", refreshPool);
      }
    });
    showAfter(form, balance);
  }

  document.querySelectorAll("form.renewal-form[data-balance]").forEach(initRenewal);
  document.querySelectorAll("form.new-client-form[data-balance-url]").forEach(initNewClient);
})();
