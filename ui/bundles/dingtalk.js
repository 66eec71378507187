// The part of DingTalk's JS API (the npm package dingtalk-jsapi) that the login page uses inside
// DingTalk's own browser: waiting for the bridge to the app, and asking it for a sign-in code
// (免登授权码). The Makefile bundles this file into static/vendor/dingtalk.js, which defines the
// global `dd` with the library's own names, so the page calls what DingTalk documents.
import dd from "dingtalk-jsapi/entry/union";
import requestAuthCode from "dingtalk-jsapi/api/runtime/permission/requestAuthCode";

window.dd = {
  env: dd.env,
  ready: dd.ready,
  error: dd.error,
  runtime: { permission: { requestAuthCode: requestAuthCode } },
};
