// "Connect an account": the whole flow against the demo's Worker (examples/worker/, in workerd,
// behind this page's origin) and the Markifact sandbox. The page never sees an API key: it asks
// its own server for a link, opens it with openAuthLink inside the click, and shows what the
// callback page reports once the Worker has verified it.
import { openAuthLink, MarkifactError } from "/pkg/index.js";
import { badge, definitionList, errorDetails, h, replace, value } from "../lib/dom.js";

const POLL_MS = 1_000;

export async function mount(section) {
  const typeSelect = section.querySelector("#connect-type");
  const button = section.querySelector("#connect-button");
  const cancelButton = section.querySelector("#connect-cancel");
  const region = section.querySelector("#connect-result");
  const list = section.querySelector("#connections");

  let flow = null;

  const showConnections = async () => {
    const { connections } = await api("GET", "/api/connections");
    renderConnections(list, connections, async (connection, deleteButton) => {
      deleteButton.disabled = true;
      try {
        await api("DELETE", `/api/connections/${encodeURIComponent(connection.id)}`);
      } catch (error) {
        showError(region, "Could not delete the connection", error);
      }
      await showConnections();
    });
  };

  const label = () => typeSelect.selectedOptions[0]?.textContent ?? "";
  const updateButton = () => {
    button.textContent = `Connect ${label()}`;
  };

  const connect = () => {
    flow?.abort();
    const controller = new AbortController();
    const connectionType = typeSelect.value;
    const created = api("POST", "/api/connect", { connectionType });
    // Opened synchronously, inside the click: no await before this line.
    const finished = openAuthLink(
      created.then((link) => link.url),
      { mode: section.dataset.mode || "auto", signal: controller.signal },
    );
    flow = { abort: () => controller.abort() };
    setBusy(true);
    const waiting = h("p", { className: "waiting" }, "Waiting for you to finish in the Markifact window…");
    const polls = h("p", { className: "muted" }, "");
    replace(region, h("div", { className: "result-head" }, badge("pending", "waiting")), waiting, polls);
    created.then((link) => pollStatus(link.authLinkId, controller.signal, polls)).catch(() => {});

    finished
      .then(async (result) => {
        if (result.status === "success") {
          replace(
            region,
            h("div", { className: "result-head" }, badge("success", "connected"), h("span", {}, ` ${label()} is connected.`)),
            definitionList([
              ["Connection type", value(result.connectionType)],
              ["Connection id", value(result.connectionId)],
              ["Verified", "by the Worker, with the auth link status endpoint"],
            ]),
          );
          await showConnections();
        } else {
          showFailure(region, result.error, connect);
        }
      })
      .catch((error) => {
        if (error instanceof MarkifactError && error.code === "aborted") {
          replace(region, h("p", { className: "muted" }, "Cancelled."));
        } else {
          showError(region, "The connection could not be started", error, connect);
        }
      })
      .finally(() => {
        controller.abort();
        setBusy(false);
      });
  };

  const setBusy = (busy) => {
    button.disabled = busy;
    cancelButton.hidden = !busy;
    section.dataset.busy = String(busy);
    if (!busy) button.focus();
  };

  button.addEventListener("click", connect);
  cancelButton.addEventListener("click", () => flow?.abort());
  typeSelect.addEventListener("change", updateButton);

  try {
    await api("GET", "/api/session");
    const { connectionTypes } = await api("GET", "/api/connection-types");
    typeSelect.replaceChildren(...connectionTypes.map((t) => h("option", { value: t.id }, t.name ?? t.id)));
    updateButton();
    button.disabled = false;
    await showConnections();
  } catch (error) {
    // The other tools work without the Worker; say what is missing instead of failing the page.
    showError(region, "The demo's server (the Worker) did not answer; start it with cargo xtask demo", error);
  }
}

/** Polls the Worker for the link's status while the user is away, to show the waiting state. */
async function pollStatus(authLinkId, signal, output) {
  for (let count = 1; !signal.aborted; count++) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (signal.aborted) return;
    try {
      const { status } = await api("GET", `/api/connect/${encodeURIComponent(authLinkId)}/status`);
      output.textContent = `Checked the link ${count} time${count === 1 ? "" : "s"}: ${status}.`;
      if (status !== "pending") return;
    } catch {
      return;
    }
  }
}

function renderConnections(list, connections, onDelete) {
  if (connections.length === 0) {
    replace(list, h("li", { className: "muted" }, "No connections yet."));
    return;
  }
  replace(
    list,
    connections.map((connection) => {
      const deleteButton = h(
        "button",
        { type: "button", attrs: { "aria-label": `Delete ${connection.type} connection ${connection.id}` } },
        "Delete",
      );
      deleteButton.addEventListener("click", () => onDelete(connection, deleteButton));
      return h(
        "li",
        { className: "connection" },
        h("span", {}, h("strong", {}, connection.displayName ?? connection.type), " ", h("code", {}, connection.id)),
        deleteButton,
      );
    }),
  );
}

function showFailure(region, message, retry) {
  replace(
    region,
    h("div", { className: "result-head" }, badge("error", "not connected")),
    h("p", {}, message || "Markifact reported an error."),
    retryButton(retry),
  );
}

function showError(region, title, error, retry) {
  replace(
    region,
    h("div", { className: "result-head" }, badge("error", "error"), h("span", {}, ` ${title}.`)),
    errorDetails(error, MarkifactError),
    retry ? retryButton(retry) : null,
  );
}

function retryButton(retry) {
  const button = h("button", { type: "button" }, "Try again");
  button.addEventListener("click", retry);
  queueMicrotask(() => button.focus());
  return button;
}

/** A JSON call to the Worker; its `{ error: { code, message } }` answers become MarkifactErrors. */
async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const { code = "http_error", message = `${method} ${path} answered ${response.status}` } = data.error ?? {};
    throw new MarkifactError(code, message, { status: response.status });
  }
  return data;
}
