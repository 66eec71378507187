// goldsieve's own browser code: small, no inline scripts (the CSP forbids them), no eval.
"use strict";

document.addEventListener("change", (event) => {
  // selects marked data-autosubmit submit their form at once (the button is for no-JS use)
  const select = event.target.closest("select[data-autosubmit]");
  if (select) select.form.requestSubmit();
});

document.documentElement.classList.add("js");
