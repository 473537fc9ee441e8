/* The application form's helpers: rows added and removed in place, a copy of what is typed kept
   in this browser until the server has saved it, and a notice when the session has ended.
   Everything here is optional: without JavaScript the form still works (buttons, full posts). */
(function () {
  "use strict";

  function draftForm() { return document.getElementById("draft-form"); }

  // --- rows added and removed in place --------------------------------------------------------
  function addRow(container) {
    var template = container.querySelector("template[data-empty-row]");
    var total = container.querySelector("input[name$='-TOTAL_FORMS']");
    var body = container.querySelector("[data-rows]");
    var index = parseInt(total.value, 10);
    var holder = document.createElement("tbody");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.querySelector("[data-row]");
    body.appendChild(row);
    total.value = String(index + 1);
    decorateRow(row);
    var first = row.querySelector("input, select, textarea");
    if (first) { first.focus(); }
    return row;
  }

  function decorateRow(row) {
    var remove = row.querySelector("input[name$='-DELETE']");
    if (!remove || row.querySelector("button[data-remove-row]")) { return; }
    var label = remove.closest("label");
    var button = document.createElement("button");
    button.type = "button";
    button.setAttribute("data-remove-row", "");
    button.textContent = label ? label.textContent.trim() : "×";
    button.addEventListener("click", function () {
      remove.checked = true;
      row.hidden = true;
      remove.dispatchEvent(new Event("change", { bubbles: true }));
    });
    if (label) { label.hidden = true; }
    remove.parentNode.closest("td").appendChild(button);
  }

  // --- each expense line's amount, quantity times unit cost, as one types ------------------------
  function numberOf(text) {
    var value = String(text || "").replace(/[\s\u00a0\u202f]/g, "");
    if (value.indexOf(",") !== -1) { value = value.replace(/\./g, "").replace(",", "."); }
    return value === "" ? NaN : Number(value);
  }

  function showLineAmount(row) {
    var cell = row.querySelector("[data-line-amount]");
    var quantity = row.querySelector("input[name$='-quantity']");
    var unitCost = row.querySelector("input[name$='-unit_cost']");
    if (!cell || !quantity || !unitCost) { return; }
    var amount = numberOf(quantity.value) * numberOf(unitCost.value);
    cell.textContent = isFinite(amount)
      ? new Intl.NumberFormat(document.documentElement.lang || undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(amount) + " EUR"
      : "";
  }

  document.addEventListener("input", function (event) {
    var row = event.target.closest && event.target.closest("[data-row]");
    if (row) { showLineAmount(row); }
  });

  function setUpRows() {
    document.querySelectorAll("[data-formset]").forEach(function (container) {
      container.querySelectorAll("[data-row]").forEach(decorateRow);
      var add = container.querySelector("[data-add-row]");
      if (!add) { return; }
      add.addEventListener("click", function (event) {
        event.preventDefault();
        addRow(container);
      });
    });
  }

  // --- a copy of what is typed, kept until the server has it ----------------------------------
  function valuesOf(form) {
    var values = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.type === "submit" || el.type === "button" || el.type === "file") { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      values.push([el.name, el.value]);
    });
    return values;
  }

  function remember(form) {
    try {
      localStorage.setItem(form.dataset.draftKey, JSON.stringify({ at: Date.now(), values: valuesOf(form) }));
    } catch (e) { /* storage full or disabled: the server copy is all we have */ }
  }

  function forget(form) {
    try { localStorage.removeItem(form.dataset.draftKey); } catch (e) { /* ignore */ }
  }

  function restore(form) {
    var kept;
    try { kept = JSON.parse(localStorage.getItem(form.dataset.draftKey) || "null"); } catch (e) { kept = null; }
    if (!kept || !kept.values) { return false; }
    var savedAt = parseInt(form.dataset.savedAt || "0", 10) * 1000;
    if (kept.at <= savedAt) { forget(form); return false; }
    // Rows that existed only in the browser are added back first.
    kept.values.forEach(function (pair) {
      var match = /^(\w+)-TOTAL_FORMS$/.exec(pair[0]);
      if (!match) { return; }
      var container = form.querySelector("[data-formset='" + match[1] + "']");
      var total = container && container.querySelector("input[name$='-TOTAL_FORMS']");
      while (total && parseInt(total.value, 10) < parseInt(pair[1], 10)) { addRow(container); }
    });
    var byName = {};
    kept.values.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.type === "submit" || el.type === "file") { return; }
      var wanted = byName[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = !!wanted && wanted.indexOf(el.value) !== -1;
      } else if (wanted) {
        el.value = wanted[0];
      }
    });
    return true;
  }

  function setUpKeeping() {
    var form = draftForm();
    if (!form || !form.dataset.draftKey) { return; }
    if (restore(form)) {
      var notice = document.createElement("p");
      notice.className = "notice";
      notice.setAttribute("role", "status");
      notice.textContent = form.dataset.restoredText || "";
      if (notice.textContent) { form.prepend(notice); }
      if (window.htmx) { window.htmx.trigger(form, "change"); }
    }
    form.addEventListener("input", function () { remember(form); });
    form.addEventListener("change", function () { remember(form); });
    form.addEventListener("submit", function () { remember(form); });
    document.body.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.elt !== form) { return; }
      var status = event.detail.xhr.status;
      var notice = document.getElementById("session-notice");
      if (status === 401 || status === 403) {
        if (notice) { notice.hidden = false; }
      } else if (event.detail.successful) {
        if (notice) { notice.hidden = true; }
        // Only when every field was valid did the server keep everything that was typed.
        if (event.detail.xhr.getResponseHeader("X-Draft-Complete") === "1") { forget(form); }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpRows();
    setUpKeeping();
  });
})();
