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
})();
