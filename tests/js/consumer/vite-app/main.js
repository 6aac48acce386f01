// The app's main module: parses the redirect this page was loaded with and shows the outcome.
import { parseRedirect, MarkifactError } from "markifact-connect";

const output = document.getElementById("connection");
try {
  const result = parseRedirect(location.href);
  output.dataset.status = result.status;
  output.textContent = result.status === "success" ? result.connectionId : `error: ${result.error}`;
} catch (error) {
  output.dataset.status = error instanceof MarkifactError ? "markifact-error" : "other-error";
  output.textContent = error.code ?? String(error);
}
