// "Connect an account": the whole flow against the demo's Worker (examples/worker/, in workerd,
// behind this page's origin) and the Markifact sandbox. The page never sees an API key: it asks
// its own server for a link (with the flow's one-time state), opens it with openAuthLink inside
// the click, and says "connected" only once the Worker lists the connection the callback named:
// the browser's message alone proves nothing.
import { openAuthLink, MarkifactError } from "/pkg/index.js";
import { badge, definitionList, errorDetails, h, replace, value } from "../lib/dom.js";

const POLL_MS = 1_000;
// While the Worker starts, the demo server answers its paths with a non-JSON 503 (not proxied
// yet) or 502 (not listening yet), and wrangler's proxy with a 404 or 503 until the Worker is
// loaded. The page says it is starting and asks again.
const STARTING_STATUSES = new Set([404, 502, 503, 504]);
const START_RETRY_MS = [250, 500, 1_000, 2_000];

export async function mount(section) {
  const typeSelect = section.querySelector("#connect-type");
  const button = section.querySelector("#connect-button");
  const cancelButton = section.querySelector("#connect-cancel");
  const region = section.querySelector("#connect-result");
  const list = section.querySelector("#connections");

  let flow = null;

  /** Shows the connections the Worker credited to this session; resolves to them. */
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
    return connections;
  };

  const label = () => typeSelect.selectedOptions[0]?.textContent ?? "";
  const updateButton = () => {
    button.textContent = `Connect ${label()}`;
  };

  const connect = () => {
    flow?.abort();
    const controller = new AbortController();
    const connectionType = typeSelect.value;
    // { authLinkId, url, state }: openAuthLink takes a result only if it carries this state.
    const created = api("POST", "/api/connect", { connectionType });
    // Opened synchronously, inside the click: no await before this line.
    const finished = openAuthLink(created, { mode: section.dataset.mode || "auto", signal: controller.signal });
    flow = { abort: () => controller.abort() };
    setBusy(true);
    const waiting = h("p", { className: "waiting" }, "Waiting for you to finish in the Markifact window…");
    const polls = h("p", { className: "muted" }, "");
    replace(region, h("div", { className: "result-head" }, badge("pending", "waiting")), waiting, polls);
    created.then((link) => pollStatus(link.authLinkId, controller.signal, polls)).catch(() => {});

    finished
      .then(async (result) => {
        if (result.status !== "success") {
          showFailure(region, result.error, connect);
          return;
        }
        // What the callback page reported is a claim; the Worker's list of this session's
        // connections (credited only at a verified callback) is the answer.
        replace(
          region,
          h("div", { className: "result-head" }, badge("pending", "confirming")),
          h("p", { className: "waiting" }, "Asking the Worker to confirm the connection…"),
        );
        let connections;
        try {
          connections = await showConnections();
        } catch (error) {
          showError(region, "The connection could not be confirmed", error, connect);
          return;
        }
        const confirmed = connections.find((connection) => connection.id === result.connectionId);
        if (confirmed) {
          replace(
            region,
            h("div", { className: "result-head" }, badge("success", "connected"), h("span", {}, ` ${label()} is connected.`)),
            definitionList([
              ["Connection type", value(confirmed.type)],
              ["Connection id", value(confirmed.id)],
              ["Confirmed", "by the Worker: it is in this session's connections, credited at its verified callback"],
            ]),
          );
        } else {
          showUnconfirmed(region, result.connectionId, connect);
        }
      })
      .catch((error) => {
        if (error instanceof MarkifactError && error.code === "aborted") {
          if (controller.signal.aborted) {
            replace(region, h("p", { className: "muted" }, "Cancelled."));
          } else {
            // The user closed the consent window (or a newer flow replaced this one).
            replace(region, h("p", { className: "muted" }, "The Markifact window was closed before the connection finished."), retryButton(connect));
          }
        } else if (error instanceof MarkifactError && error.code === "rate_limited") {
          showRateLimited(region, error, connect);
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

  // Not awaited: the page's other tools work while the Worker starts.
  start(section, region, async () => {
    await api("GET", "/api/session");
    const { connectionTypes } = await api("GET", "/api/connection-types");
    typeSelect.replaceChildren(...connectionTypes.map((t) => h("option", { value: t.id }, t.name ?? t.id)));
    updateButton();
    await showConnections();
    button.disabled = false;
    replace(region, h("p", { className: "muted" }, "Choose a type and connect. The sandbox's consent page has \"Approve\" and \"Deny\"."));
  });
}

/**
 * Runs `load` until it succeeds. While the Worker is not there yet (see STARTING_STATUSES, or no
 * answer at all) the section shows a "starting" state and tries again; any other failure is shown.
 */
async function start(section, region, load) {
  for (let attempt = 1; ; attempt++) {
    try {
      await load();
      section.dataset.server = "ready";
      return;
    } catch (error) {
      if (!isStarting(error)) {
        section.dataset.server = "failed";
        // The other tools work without the Worker; say what is missing instead of failing the page.
        showError(region, "The demo's server (the Worker) did not answer; start it with cargo xtask demo", error);
        return;
      }
      section.dataset.server = "starting";
      replace(
        region,
        h("div", { className: "result-head" }, badge("pending", "starting")),
        h("p", { className: "waiting" }, "The demo's server (the Worker) is starting…"),
        h("p", { className: "muted" }, `Attempt ${attempt}: ${error.message}. Trying again.`),
      );
      await new Promise((resolve) => setTimeout(resolve, START_RETRY_MS[Math.min(attempt, START_RETRY_MS.length) - 1]));
    }
  }
}

/** No answer, or a non-JSON 404/502/503/504 (the Worker's own errors are JSON with a code). */
function isStarting(error) {
  if (!(error instanceof MarkifactError)) return true; // fetch failed: nothing listens yet
  return error.code === "http_error" && STARTING_STATUSES.has(error.status);
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

function showUnconfirmed(region, connectionId, retry) {
  replace(
    region,
    h("div", { className: "result-head" }, badge("error", "not confirmed")),
    h(
      "p",
      {},
      "The browser reported connection ",
      value(connectionId),
      ", but the Worker has no such connection for this session, so it is not shown as connected.",
    ),
    retryButton(retry),
  );
}

/** A 429 from link creation: how long to wait, and a retry button that unlocks when it is over. */
function showRateLimited(region, error, retry) {
  const until = Date.now() + (error.retryAfterMs ?? 0);
  const wait = h("p", {}, "");
  const button = h("button", { type: "button" }, "Try again");
  button.addEventListener("click", retry);
  const tick = () => {
    if (!button.isConnected) return; // the section moved on
    const seconds = Math.ceil((until - Date.now()) / 1000);
    if (seconds > 0) {
      wait.textContent = `Too many connection attempts: try again in ${seconds} s.`;
      button.disabled = true;
      setTimeout(tick, 250);
    } else {
      wait.textContent = "Too many connection attempts: you can try again now.";
      button.disabled = false;
    }
  };
  replace(region, h("div", { className: "result-head" }, badge("error", "rate limited")), wait, button);
  tick();
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

/**
 * A JSON call to the Worker; its `{ error: { code, message, retryAfterMs? } }` answers become
 * MarkifactErrors (with the status, and the wait of a 429 from the body or `Retry-After`).
 */
async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const { code = "http_error", message = `${method} ${path} answered ${response.status}`, retryAfterMs } = data.error ?? {};
    const retryAfter = Number(response.headers.get("retry-after"));
    throw new MarkifactError(code, message, {
      status: response.status,
      retryable: response.status === 429 || response.status >= 500,
      retryAfterMs: Number.isFinite(retryAfterMs) ? retryAfterMs : retryAfter > 0 ? retryAfter * 1000 : undefined,
    });
  }
  return data;
}
