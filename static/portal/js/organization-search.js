// The name search of a long organization menu (templates/includes/organization_search.html)
// works through htmx: it is shown only when scripts run; without them the menu works alone.
document.querySelectorAll("[data-organization-search]").forEach((input) => {
  input.hidden = false;
});
