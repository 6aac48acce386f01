// "Parse a redirect": parseRedirect on the URL Markifact sent the browser back to, live.
import { parseRedirect, MarkifactError } from "/pkg/index.js";
import { badge, definitionList, errorDetails, formatJson, h, live, renderOnce, value } from "../lib/dom.js";

const EXAMPLES = {
  collision: {
    url:
      "https://example.com/cb?status=started&session_id=abc&markifact_status=success" +
      "&connection_type=ga4&connection_id=conn_123&external_id=user_42",
    original: "https://example.com/cb?status=started&session_id=abc",
  },
  error: {
    url:
      "https://example.com/cb?session_id=abc&status=error&connection_type=gads" +
      "&external_id=user_42&error=The%20user%20denied%20access",
    original: "",
  },
  invalid: {
    url: "https://example.com/cb?status=bogus&connection_type=ga4&connection_id=conn_123",
    original: "",
  },
};

export function mount(section) {
  const urlInput = section.querySelector("#parse-url");
  const originalInput = section.querySelector("#parse-original");
  const mode = section.querySelector("#parse-mode");
  const region = section.querySelector("#parse-result");
  const json = section.querySelector("#parse-json");

  const render = () => {
    const url = urlInput.value;
    const original = originalInput.value.trim() === "" ? undefined : originalInput.value;
    mode.textContent = original === undefined
      ? "Name-based parse: markifact_<name> wins over <name>. Give the original redirect_url for an exact parse."
      : "Exact parse: your parameters are those of the original redirect_url; Markifact's are what follows them.";

    if (url.trim() === "") {
      json.textContent = "";
      renderOnce(region, "empty", () => h("p", { className: "muted" }, "Paste a redirect URL to parse it."));
      return;
    }
    let outcome;
    try {
      outcome = { result: parseRedirect(url, original === undefined ? undefined : { redirectUrl: original }) };
    } catch (error) {
      outcome = { error };
    }
    if (outcome.error) {
      json.textContent = formatJson(errorJson(outcome.error));
      renderOnce(region, `error:${json.textContent}`, () => rejected(outcome.error));
    } else {
      json.textContent = formatJson(outcome.result);
      renderOnce(region, `ok:${json.textContent}`, () => summary(outcome.result));
    }
  };

  for (const button of section.querySelectorAll("button[data-example]")) {
    button.addEventListener("click", () => {
      const example = EXAMPLES[button.dataset.example];
      urlInput.value = example.url;
      originalInput.value = example.original;
      render();
    });
  }
  live([urlInput, originalInput], render);
}

function summary(result) {
  const success = result.status === "success";
  const head = h(
    "p",
    { className: "result-head" },
    badge(success ? "success" : "error", result.status),
    success
      ? " Markifact reports a new connection. Verify it server-side before you rely on it."
      : " Markifact reports that the connection did not complete. The same auth link can be retried until it expires.",
  );
  const facts = success
    ? [
        ["Connection type", value(result.connectionType)],
        ["Connection id", value(result.connectionId)],
        ["External id", value(result.externalId)],
      ]
    : [
        ["Connection type", value(result.connectionType)],
        ["External id", value(result.externalId)],
        ["Message (for logs, not logic)", result.error === "" ? h("span", { className: "muted" }, "empty") : result.error],
      ];
  return [head, definitionList(facts), appParamsTable(result.appParams)];
}

function appParamsTable(params) {
  if (params.length === 0) {
    return h("p", { className: "muted" }, "No app parameters.");
  }
  return h(
    "div",
    { className: "table-wrap" },
    h(
      "table",
      { className: "params" },
      h("caption", {}, "App parameters"),
      h("thead", {}, h("tr", {}, h("th", { attrs: { scope: "col" } }, "Name"), h("th", { attrs: { scope: "col" } }, "Value"))),
      h(
        "tbody",
        {},
        params.map(([name, val]) => h("tr", {}, h("td", {}, h("code", {}, name)), h("td", {}, h("code", {}, val)))),
      ),
    ),
  );
}

function rejected(error) {
  return [
    h("p", { className: "result-head" }, badge("rejected", "rejected"), " This is not a valid Markifact redirect."),
    errorDetails(error, MarkifactError),
  ];
}

function errorJson(error) {
  if (!(error instanceof MarkifactError)) return { name: error?.name, message: String(error?.message ?? error) };
  return { name: error.name, code: error.code, field: error.field, rule: error.rule, message: error.message };
}
