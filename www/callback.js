// The callback page: the Worker sends the browser here (with the flow's state) once it has
// verified Markifact's redirect and credited the connection to this session. In a popup,
// completeAuthRedirect reports to the opening page and closes the window. Without an opener (a
// full-page redirect after a blocked popup or on a phone, or a popup a Cross-Origin-Opener-Policy
// cut off from its opener), this page shows the result itself, and says "connected" only once
// the Worker lists the connection: anyone can type this page's query.
import { completeAuthRedirect, MarkifactError } from "/pkg/index.js";
import { badge, definitionList, errorDetails, h, replace, value } from "./lib/dom.js";

const region = document.getElementById("callback-result");
try {
  const result = completeAuthRedirect();
  if (result === null) {
    replace(region, h("p", {}, "Nothing to finish here (the result was already reported)."));
  } else if (result.status !== "success") {
    replace(region, h("div", { className: "result-head" }, badge("error", "not connected")), h("p", {}, result.error));
  } else if (window.opener) {
    replace(region, h("p", {}, "Reporting back to the demo page…"));
  } else {
    replace(region, h("p", { className: "waiting" }, "Asking the Worker to confirm the connection…"));
    await confirm(result);
  }
} catch (error) {
  replace(region, h("div", { className: "result-head" }, badge("error", "error")), errorDetails(error, MarkifactError));
}

async function confirm(result) {
  const response = await fetch("/api/connections", { credentials: "same-origin" });
  if (!response.ok) throw new MarkifactError("http_error", `GET /api/connections answered ${response.status}`, { status: response.status });
  const { connections } = await response.json();
  const confirmed = connections.find((connection) => connection.id === result.connectionId);
  if (confirmed) {
    replace(
      region,
      h("div", { className: "result-head" }, badge("success", "connected")),
      definitionList([
        ["Connection type", value(confirmed.type)],
        ["Connection id", value(confirmed.id)],
      ]),
    );
  } else {
    replace(
      region,
      h("div", { className: "result-head" }, badge("error", "not confirmed")),
      h("p", {}, "This address names connection ", value(result.connectionId), ", but the Worker has no such connection for this session."),
    );
  }
}
