// goldsieve's own browser code: small, no inline scripts (the CSP forbids them), no eval.
"use strict";

document.addEventListener("change", (event) => {
  // selects marked data-autosubmit submit their form at once (the button is for no-JS use)
  const select = event.target.closest("select[data-autosubmit]");
  if (select) select.form.requestSubmit();
});

document.documentElement.classList.add("js");

// --- htmx: refused forms are answers too ------------------------------------------------------
// A refused form comes back as 422 (errors beside the fields) or 409 (someone else changed the
// deal) and must be swapped in like a 200; other 4xx/5xx stay unswapped errors. Set here, not in
// the htmx-config meta, so the rule lives next to the dialog code that depends on it; htmx merges
// the meta's keys over this object when it starts, and the meta does not set responseHandling.
if (window.htmx) {
  window.htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "409|422", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
    { code: "...", swap: false },
  ];
  // htmx copies `style` between old and new elements while settling; the CSP forbids inline
  // styles, so such a copy could only ever log a violation.
  window.htmx.config.attributesToSettle = ["class", "width", "height"];
}

// --- the modal dialog ---------------------------------------------------------------------------
// Anything htmx swaps into <dialog id="dialog"> opens it as a modal (the gate form of a move, from
// the board or a deal page). Escape closes it (the browser does), so does any [data-dialog-close]
// inside it (the Cancel button; a link without JavaScript), and so does a completed move: the
// server answers 204 with HX-Trigger {"deal-moved": {...}}, which bubbles up to the body.
(() => {
  const dialog = document.getElementById("dialog");
  if (!dialog) return;
  let opener = null;

  const focusFirst = () => {
    const field =
      dialog.querySelector('[aria-invalid="true"]') ||
      dialog.querySelector("[autofocus]") ||
      dialog.querySelector(
        'input:not([type="hidden"]):not([disabled]), select:not([disabled]), textarea:not([disabled])'
      ) ||
      dialog.querySelector("button:not([data-dialog-close]), a[href], button");
    if (field) field.focus();
  };

  document.addEventListener("htmx:beforeRequest", (event) => {
    if (!dialog.open) opener = document.activeElement;
  });

  // After the settle, not the swap: htmx binds the new form's hx-post while settling, so a field
  // focused earlier could be submitted by Enter as a plain page post before htmx knows the form.
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.target !== dialog || !dialog.firstElementChild) return;
    if (!dialog.open) dialog.showModal();
    focusFirst();
  });

  document.addEventListener("click", (event) => {
    const closer = event.target.closest("[data-dialog-close]");
    if (closer && closer.closest("dialog") === dialog && dialog.open) {
      event.preventDefault();
      dialog.close();
    }
  });

  dialog.addEventListener("close", () => {
    dialog.replaceChildren(); // a stale form must not linger for the next opening
    if (opener && opener.isConnected && opener !== document.body) opener.focus();
    opener = null;
  });

  document.body.addEventListener("deal-moved", () => {
    if (dialog.open) dialog.close();
  });
})();
