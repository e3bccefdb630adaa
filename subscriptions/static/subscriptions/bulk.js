// Clients à renouveler: a box in the table header ticks every row of the page, and the
// "renew the selection" button says how many rows are ticked. The form works without it.
(function () {
  "use strict";
  var form = document.querySelector("form.bulk-renewal-form");
  if (!form) {
    return;
  }
  var boxes = form.querySelectorAll('input[name="subscriptions"]');
  var all = form.querySelector('input[name="all_matching"]');
  var header = form.querySelector("th.bulk-select");
  var counter = form.querySelector("[data-bulk-count]");
  var pageBox = null;
  var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function refresh() {
    var ticked = 0;
    boxes.forEach(function (box) {
      if (box.checked) {
        ticked += 1;
      }
    });
    if (pageBox) {
      pageBox.checked = ticked > 0 && ticked === boxes.length;
      pageBox.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    if (counter) {
      counter.classList.remove("d-none");
      counter.textContent = all && all.checked ? counter.dataset.allLabel : numbers.format(ticked);
    }
  }

  if (header && boxes.length) {
    pageBox = document.createElement("input");
    pageBox.type = "checkbox";
    pageBox.className = "form-check-input";
    pageBox.setAttribute("aria-label", header.dataset.selectPageLabel || header.textContent);
    header.textContent = "";
    header.appendChild(pageBox);
    pageBox.addEventListener("change", function () {
      boxes.forEach(function (box) {
        box.checked = pageBox.checked;
      });
      refresh();
    });
  }
  boxes.forEach(function (box) {
    box.addEventListener("change", refresh);
  });
  if (all) {
    all.addEventListener("change", refresh);
  }
  refresh();
})();
