/* Behaviour every page shares. The pages allow no inline script (Content-Security-Policy), so
   what used to be an onchange= attribute is wired up here. Without JavaScript each form keeps
   its <noscript> button. */
(function () {
  "use strict";

  // A <select data-submit-on-change> sends its form as soon as another option is chosen
  // (the language and the organisation switch).
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!(select instanceof HTMLSelectElement) || !select.hasAttribute("data-submit-on-change")) { return; }
    if (select.form) { select.form.submit(); }
  });

  // A wide table scrolls inside its own box, not the page; the box is a named region that the
  // keyboard can focus, so that it scrolls with the arrow keys as well.
  function boxTables(root) {
    root.querySelectorAll("main table").forEach(function (table) {
      if (table.parentElement.classList.contains("table-scroll")) { return; }
      var box = document.createElement("div");
      box.className = "table-scroll";
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      var caption = table.querySelector("caption");
      var labelledBy = table.getAttribute("aria-labelledby");
      if (labelledBy) { box.setAttribute("aria-labelledby", labelledBy); }
      else if (caption) { box.setAttribute("aria-label", caption.textContent.trim()); }
      else if (table.getAttribute("aria-label")) { box.setAttribute("aria-label", table.getAttribute("aria-label")); }
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { boxTables(document); });
  // Parts of a page that htmx swaps in (a draft section, a verdict) may hold tables too.
  document.addEventListener("htmx:afterSwap", function (event) { boxTables(event.target.ownerDocument || document); });
})();
