/* The final report's edit page (applications/report/edit.html). Rows are added from the
   formset's empty form and removed by ticking their "remove" box, so the server sees the same
   fields as without JavaScript. */
(function () {
  "use strict";

  function setUp() {
    var form = document.getElementById("report-form");
    if (!form) { return; }
    form.addEventListener("click", function (event) {
      var add = event.target.closest("[data-add-row]");
      if (add) {
        var prefix = add.getAttribute("data-add-row");
        var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
        var html = document.getElementById(prefix + "-template").innerHTML.replace(/__prefix__/g, total.value);
        var rows = document.getElementById(prefix + "-rows");
        rows.insertAdjacentHTML("beforeend", html);
        total.value = String(parseInt(total.value, 10) + 1);
        var first = rows.lastElementChild && rows.lastElementChild.querySelector("input:not([type=hidden]), select");
        if (first) { first.focus(); }
        return;
      }
      var remove = event.target.closest("[data-remove-row]");
      if (remove) {
        var row = remove.closest("tr");
        var box = row.querySelector("input[name$='-DELETE']");
        if (box) { box.checked = true; }
        row.hidden = true;
        var again = row.closest("fieldset").querySelector("[data-add-row]");
        if (again) { again.focus(); }
        form.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  // Deferred scripts run once the document is parsed; the check keeps it working if it is not.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
