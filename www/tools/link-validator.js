// "Validate link inputs": validateRedirectUrl and validateExternalId, live.
import { validateRedirectUrl, validateExternalId, MarkifactError } from "/pkg/index.js";
import { badge, errorDetails, errorKey, h, live, renderOnce } from "../lib/dom.js";

export function mount(section) {
  const urlInput = section.querySelector("#check-redirect-url");
  const allowLocalhost = section.querySelector("#check-allow-localhost");
  const urlResult = section.querySelector("#check-redirect-url-result");
  const idInput = section.querySelector("#check-external-id");
  const idResult = section.querySelector("#check-external-id-result");

  live([urlInput, allowLocalhost], () => {
    const url = urlInput.value;
    const allowInsecureLocalhost = allowLocalhost.checked;
    if (url === "") {
      renderOnce(urlResult, "empty", () =>
        h("p", { className: "muted" }, "Empty: redirect_url is optional when creating a link. Type a URL to check it."),
      );
      return;
    }
    try {
      const normalised = validateRedirectUrl(url, { allowInsecureLocalhost });
      renderOnce(urlResult, `ok:${normalised}`, () => [
        h("p", { className: "result-head" }, badge("success", "valid"), " Normalised:"),
        h("p", { className: "normalised" }, h("code", {}, normalised)),
      ]);
    } catch (error) {
      renderOnce(urlResult, `error:${errorKey(error)}`, () => invalid(error));
    }
  });

  live([idInput], () => {
    const id = idInput.value;
    try {
      validateExternalId(id);
      // The package counts Unicode scalar values, as the string iterator does.
      const length = [...id].length;
      renderOnce(idResult, `ok:${length}`, () =>
        h("p", { className: "result-head" }, badge("success", "valid"), ` (${length} character${length === 1 ? "" : "s"})`),
      );
    } catch (error) {
      renderOnce(idResult, `error:${errorKey(error)}`, () => invalid(error));
    }
  });
}

function invalid(error) {
  return [
    h("p", { className: "result-head" }, badge("rejected", "invalid"), " The package refuses this value."),
    errorDetails(error, MarkifactError),
  ];
}

