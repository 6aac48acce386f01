// "X-Markifact-Context header": contextHeader on a comma-separated list of connection ids, live.
import { contextHeader, MarkifactError } from "/pkg/index.js";
import { badge, errorDetails, errorKey, h, live, renderOnce } from "../lib/dom.js";

export function mount(section) {
  const input = section.querySelector("#context-ids");
  const result = section.querySelector("#context-result");

  live([input], () => {
    // An empty field is the empty list: the header that allows no connection.
    const ids = input.value.trim() === "" ? [] : input.value.split(",").map((id) => id.trim());
    try {
      const header = contextHeader(ids);
      renderOnce(result, `ok:${header}`, () => [
        h(
          "p",
          { className: "result-head" },
          badge("success", ids.length === 0 ? "no connections" : `${ids.length} connection${ids.length === 1 ? "" : "s"}`),
        ),
        h("p", { className: "normalised" }, h("code", {}, `X-Markifact-Context: ${header}`)),
      ]);
    } catch (error) {
      renderOnce(result, `error:${errorKey(error)}`, () => [
        h("p", { className: "result-head" }, badge("rejected", "invalid")),
        errorDetails(error, MarkifactError),
      ]);
    }
  });
}
