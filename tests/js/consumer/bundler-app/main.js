// The app's one module, bundled as is by webpack, Rollup, esbuild and Parcel: both entries of the
// package in one page. It parses the redirect this page was loaded with, plus fixed redirects and
// redirect URLs, and shows every outcome, as JSON, in #results (and the connection in #connection).
import { parseRedirect, validateRedirectUrl, MarkifactError } from "markifact-connect";
import { parseRedirect as parseCallback } from "markifact-connect/callback";

function attempt(fn) {
  try {
    return { value: fn() };
  } catch (error) {
    return {
      thrown: {
        markifactError: error instanceof MarkifactError,
        name: error?.name,
        code: error?.code,
        rule: error?.rule,
        message: String(error?.message ?? error),
      },
    };
  }
}

const SUCCESS = "https://app.example.com/cb?status=success&connection_type=gads&connection_id=c_bundled_42";
const ERROR = "https://app.example.com/cb?status=error&connection_type=meta_ads&external_id=u_7&error=access_denied";

const results = {
  page: attempt(() => parseRedirect(location.href)),
  success: attempt(() => parseRedirect(SUCCESS)),
  error: attempt(() => parseRedirect(ERROR)),
  goodRedirectUrl: attempt(() => validateRedirectUrl("https://app.example.com/markifact/callback")),
  badRedirectUrl: attempt(() => validateRedirectUrl("http://example.com/cb")),
  callbackSuccess: attempt(() => parseCallback(SUCCESS)),
  callbackError: attempt(() => parseCallback(ERROR)),
  callbackInvalid: attempt(() => parseCallback("https://app.example.com/cb?status=pending")),
};

const connection = document.getElementById("connection");
const page = results.page;
connection.textContent = page.value?.status === "success" ? page.value.connectionId : page.value?.error ?? page.thrown?.code;
document.getElementById("results").textContent = JSON.stringify(results);
connection.dataset.status = page.value?.status ?? "markifact-error";
