// `MarkifactClient`: the driver of the core's calls over `fetch` and timers. Every decision
// (validation, retries, backoff, the wait's schedule, what a response means) is the core's
// (src/client/call.rs); this file only performs what a call asks for and reports what happened.
import { ClientCore } from "./markifact_connect_bg.js";
import { mainWasmReady } from "./glue.js";

// What happened since a call's last action (src/wasm/client.rs has the same numbers).
const CONTINUE = 0;
const RESPONSE = 1;
const TIMEOUT = 2;
const ABORTED = 3;
const ABORTED_BEFORE_SEND = 4;
const NETWORK = 5;
const TOO_LARGE = 6;
const NOT_A_RESPONSE = 7;
const OPAQUE_REDIRECT = 8;
// What a call asks for.
const SEND = 0;
const SLEEP = 1;
const PROGRESS = 2;
// The longest delay setTimeout takes; a longer one would fire at once.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `MarkifactClient` for an entry's way of loading the main wasm (see api.js). */
export const markifactClientOn = (loader) =>
  class MarkifactClient extends Client {
    constructor(options) {
      mainWasmReady(loader);
      super(options);
    }
  };

// The client's methods, whichever way the main wasm was loaded.
class Client {
  #core;

  constructor(options) {
    this.#core = new ClientCore(options);
  }

  createAuthLink(params, options) {
    return this.#run((core) => core.createAuthLink(params, options)).then((link) => {
      const onWarning = this.#core.onWarning;
      for (const warning of link.warnings) report(onWarning, warning);
      return link;
    });
  }

  getAuthLinkStatus(authLinkId, options) {
    return this.#run((core) => core.getAuthLinkStatus(authLinkId, options));
  }

  waitForAuthLink(authLinkId, options) {
    return this.#run((core) => core.waitForAuthLink(authLinkId, options));
  }

  listConnections(options) {
    return this.#run((core) => core.listConnections(options));
  }

  getConnection(idOrExternalId, options) {
    return this.#run((core) => core.getConnection(idOrExternalId, options));
  }

  deleteConnection(connectionId, options) {
    return this.#run((core) => core.deleteConnection(connectionId, options));
  }

  listConnectionTypes(options) {
    return this.#run((core) => core.listConnectionTypes(options));
  }

  verifyRedirect(url, options) {
    return this.#run((core) => core.verifyRedirect(url, options));
  }

  // Steps a call until it is done. Async, so an invalid argument rejects rather than throws.
  async #run(start) {
    const call = start(this.#core);
    try {
      const { fetch } = this.#core;
      const { signal, onProgress } = call;
      let event = [CONTINUE];
      for (;;) {
        const [kind, status, retryAfter, text] = event;
        const action = call.step(kind, status, retryAfter, text, Date.now(), Math.random());
        if (action === SEND) event = await send(fetch, call, signal);
        else if (action === SLEEP) event = await sleep(call.sleepMs, signal);
        else if (action === PROGRESS) {
          report(onProgress, JSON.parse(call.output()));
          event = [CONTINUE];
        } else return JSON.parse(call.output());
      }
    } finally {
      call.free();
    }
  }
}

// A caller's callback: what it throws is its own business, not the call's, and so is what an
// async one rejects with (left unhandled, it would crash Node).
function report(callback, value) {
  try {
    const result = callback?.(value);
    if (typeof result?.then === "function") result.then(undefined, () => {});
  } catch {
    // ignored
  }
}

// Sends the call's request and reads the whole response, within its timeout and the caller's
// signal; the event says what happened.
async function send(fetch, call, signal) {
  if (signal?.aborted) return [ABORTED_BEFORE_SEND];
  const controller = new AbortController();
  const attempt = controller.signal;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, Math.min(call.timeoutMs, MAX_TIMER_MS));
  const abort = () => controller.abort();
  signal?.addEventListener("abort", abort);
  let complete = false;
  try {
    const response = await until(fetch(call.url, init(call, attempt)), attempt);
    // A browser hides a redirect it did not follow as an "opaqueredirect" with status 0.
    if (response?.type === "opaqueredirect") return [OPAQUE_REDIRECT];
    const status = response?.status;
    // No status: not a response; the core says so.
    if (typeof status !== "number") return [RESPONSE, status];
    const max = call.maxBodyBytes;
    if (Number(header(response, "content-length")) > max) return [TOO_LARGE];
    const body = await read(response, max, attempt);
    complete = body !== undefined;
    return complete ? [RESPONSE, status, header(response, "retry-after"), body] : [TOO_LARGE];
  } catch (error) {
    if (error instanceof NotAResponse) return [NOT_A_RESPONSE, undefined, undefined, error.message];
    if (timedOut) return [TIMEOUT];
    if (signal?.aborted) return [ABORTED];
    return [NETWORK, undefined, undefined, describe(error)];
  } finally {
    clearTimeout(timer);
    // The signal may be any object with `aborted` and `addEventListener` (src/js_options.rs).
    signal?.removeEventListener?.("abort", abort);
    // Stops whatever is still being sent or read: the call has what it needs.
    if (!complete) controller.abort();
  }
}

function init(call, signal) {
  const headers = {};
  const list = call.headers;
  for (let i = 0; i < list.length; i += 2) headers[list[i]] = list[i + 1];
  const init = { method: call.method, headers, signal, redirect: "manual" };
  const body = call.body;
  if (body !== undefined) init.body = body;
  return init;
}

class NotAResponse extends Error {}

// `promise`, or a rejection once the attempt's signal aborts: a custom fetch or body that
// ignores the signal cannot outlast the timeout or the caller's abort. Its listener goes when
// it settles, so that a body read in many chunks does not pile them up.
function until(promise, signal) {
  return new Promise((resolve, reject) => {
    const stop = () => reject(signal.reason);
    signal.addEventListener("abort", stop);
    // Handled even when it settles after the stop.
    Promise.resolve(promise)
      .then(resolve, reject)
      .finally(() => signal.removeEventListener("abort", stop));
    if (signal.aborted) stop();
  });
}

// The body as text (invalid UTF-8 replaced, as `text()` does), read chunk by chunk so that a
// huge body is refused after `max` bytes rather than held in memory: undefined when longer.
// `attempt` is the attempt's signal.
async function read(response, max, attempt) {
  const stream = response.body;
  if (typeof stream?.getReader !== "function") {
    // No body (204), or a custom fetch's object without a stream: its text() is all there is.
    if (typeof response.text !== "function") throw new NotAResponse("it has neither a body stream nor text()");
    const text = await until(response.text(), attempt);
    if (typeof text !== "string") throw new NotAResponse("its text() is not a string");
    return text;
  }
  const reader = stream.getReader();
  const chunks = [];
  let length = 0;
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await until(reader.read(), attempt);
      if (done) break;
      // Not `instanceof`: a chunk may be another realm's Uint8Array (Jest's vm contexts).
      if (!isBytes(value)) throw new NotAResponse("its body stream yields something other than bytes");
      length += value.length;
      if (length > max) return undefined;
      chunks.push(value);
    }
    ended = true;
  } finally {
    // Also a body that ignores the attempt's signal is let go of; nothing waits for that.
    if (!ended) {
      try {
        reader.cancel().catch(() => {});
      } catch {
        // ignored
      }
    }
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return decoder.decode(bytes);
}

const isBytes = (value) => ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === "[object Uint8Array]";

// `ignoreBOM`: the text is the body as sent.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

function header(response, name) {
  try {
    // Only a string crosses into the core (a Map's get may answer a number).
    const value = response.headers.get(name);
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

// A short description of a thrown value (an `Error`'s name and message).
function describe(error) {
  const { name, message } = Object(error);
  if (typeof message === "string") return typeof name === "string" ? `${name}: ${message}` : message;
  return typeof error === "string" ? error : "unknown error";
}

// Waits `ms`, or until the signal aborts.
function sleep(ms, signal) {
  if (signal?.aborted) return [ABORTED];
  return new Promise((resolve) => {
    const done = (event) => {
      clearTimeout(timer);
      signal?.removeEventListener?.("abort", aborted);
      resolve(event);
    };
    const aborted = () => done([ABORTED]);
    const timer = setTimeout(() => done([CONTINUE]), Math.min(ms, MAX_TIMER_MS));
    signal?.addEventListener("abort", aborted);
  });
}
