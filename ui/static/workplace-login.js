// The login page inside DingTalk's own browser (only there does the page load this file and
// vendor/dingtalk.js, DingTalk's JS API): ask DingTalk for a sign-in code for the organisation
// (免登授权码, no click, no consent page) and post it with the page's CSRF token. When DingTalk
// gives none — it refuses, or its bridge never answers — the page says so, and the button and
// the password form are still there.
"use strict";

(() => {
  const form = document.getElementById("in-app-sign-in");
  if (!form) return;
  const WAIT_MS = 8000; // DingTalk answers within a second; a page outside its app never does
  let settled = false;
  const failed = () => {
    if (settled) return;
    settled = true;
    document.getElementById("in-app-status").hidden = true;
    document.getElementById("in-app-failed").hidden = false;
  };
  const dd = window.dd;
  if (!dd || !dd.runtime) {
    failed();
    return;
  }
  const timer = window.setTimeout(failed, WAIT_MS);
  if (typeof dd.error === "function") dd.error(failed);
  dd.ready(() => {
    dd.runtime.permission.requestAuthCode({ corpId: form.dataset.corpId, clientId: form.dataset.clientId })
      .then((result) => {
        if (settled || !result || typeof result.code !== "string" || !result.code) return failed();
        settled = true;
        window.clearTimeout(timer);
        form.elements.code.value = result.code;
        form.submit();
      }, failed);
  });
})();
