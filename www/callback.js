// The callback page: the Worker sends the browser here once it has verified Markifact's
// redirect. In a popup, completeAuthRedirect reports to the opening page and closes the window;
// after a full-page redirect (popup blocked, phones), this page shows the result itself.
import { completeAuthRedirect, MarkifactError } from "/pkg/index.js";
import { badge, definitionList, errorDetails, h, replace, value } from "./lib/dom.js";

const region = document.getElementById("callback-result");
try {
  const result = completeAuthRedirect();
  if (result === null) {
    replace(region, h("p", {}, "Nothing to finish here (the result was already reported)."));
  } else if (result.status === "success") {
    replace(
      region,
      h("div", { className: "result-head" }, badge("success", "connected")),
      definitionList([
        ["Connection type", value(result.connectionType)],
        ["Connection id", value(result.connectionId)],
      ]),
    );
  } else {
    replace(region, h("div", { className: "result-head" }, badge("error", "not connected")), h("p", {}, result.error));
  }
} catch (error) {
  replace(region, h("div", { className: "result-head" }, badge("error", "error")), errorDetails(error, MarkifactError));
}
