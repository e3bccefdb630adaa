// What the live forms share (renewal, new client, add users, renewal plan): figures
// written the page's way, as the server writes them (2 981 in French with a narrow
// no-break space, 2,981 in English; the hooks' attributes keep plain digits), and the
// whole number typed in a field. Loaded before each form's own script.
(function () {
  "use strict";

  var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined, {
    maximumFractionDigits: 0,
  });

  window.PortalFigures = {
    figure: function (number) {
      return numbers.format(number).replace(/\u2212/g, "-");
    },
    whole: function (input) {
      var value = input ? parseInt(input.value, 10) : NaN;
      return isNaN(value) || value < 0 ? 0 : value;
    },
  };
})();
