// One small interface over the three browser engines the package is tested in:
//
//   chromium  the system Chromium, through playwright-core (CDP), as helpers/browser.mjs launches it
//   firefox   Debian's firefox-esr, through puppeteer-core (WebDriver BiDi)
//   webkit    WebKitGTK's MiniBrowser, through WebKitWebDriver (classic WebDriver) and
//             selenium-webdriver, on a private X display (Xvfb): MiniBrowser has no headless mode
//
//   const browser = await launch("firefox");    // browser.engine, browser.version
//   const page = await browser.open(url);       // a fresh window (a fresh profile where the engine can)
//   await page.waitFor("#status", { text: "done" });
//   await page.evaluate((arg) => window.__report, arg);
//   await page.problems();                      // console errors and warnings, uncaught errors, failed requests
//   await browser.close();                      // every process it started is gone afterwards
//
// Problems come from the engine where it reports them (Chromium, Firefox) and from a small
// page-side collector where it does not (WebKit: its WebDriver has no BiDi and no logs; the
// collector is installed right after each navigation, so it misses what happens during the
// load, unless the page was served by helpers/server.mjs with `inject: COLLECTOR`, which loads it
// first).
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { start } from "./proc.mjs";
import { launchChromium as launchPlaywrightChromium } from "./browser.mjs";

export const ENGINES = ["chromium", "firefox", "webkit"];

const DEFAULT_TIMEOUT = 30_000;

/** The Firefox to drive (`cargo xtask test` sets FIREFOX_PATH). */
export function firefoxPath() {
  return existing("FIREFOX_PATH", "/usr/bin/firefox-esr");
}

/** WebKitGTK's WebDriver, the browser it starts and the X server it needs (`cargo xtask test` sets them). */
export function webkitPaths() {
  return {
    driver: existing("WEBKIT_WEBDRIVER_PATH", "/usr/bin/WebKitWebDriver"),
    browser: existing("MINIBROWSER_PATH", "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"),
    xvfb: existing("XVFB_PATH", "/usr/bin/Xvfb"),
  };
}

function existing(variable, fallback) {
  const file = process.env[variable] || fallback;
  if (!existsSync(file)) throw new Error(`${variable}=${file} does not exist (cargo xtask test installs it)`);
  return file;
}

/** Where helpers/server.mjs serves the collector when given `inject: COLLECTOR`. */
export const COLLECTOR_PATH = "/__engines/collector.js";

/**
 * The page-side collector: records console errors and warnings, uncaught errors and rejections,
 * elements that failed to load, fetches that failed or answered >= 400, and CSP violations, into
 * `window.__problems`. Idempotent. It bypasses nothing: it is ordinary page script.
 */
export const COLLECTOR_SOURCE = `(() => {
  if (window.__problems) return;
  const problems = (window.__problems = []);
  const text = (value) => {
    // WebKit's and Firefox's stacks leave the message out.
    if (value instanceof Error) return value.stack && value.stack.includes(String(value)) ? value.stack : value + "\\n" + (value.stack || "");
    if (typeof value === "string") return value;
    try { return JSON.stringify(value); } catch { return String(value); }
  };
  for (const [level, name] of [["error", "error"], ["warn", "warning"]]) {
    const original = console[level];
    console[level] = function (...args) {
      problems.push("console." + name + ": " + args.map(text).join(" "));
      return original.apply(this, args);
    };
  }
  addEventListener("error", (event) => {
    const target = event.target;
    if (target && target !== window && (target.src || target.href)) {
      problems.push("request failed: " + (target.src || target.href));
    } else {
      problems.push("uncaught: " + text(event.error || event.message));
    }
  }, true);
  addEventListener("unhandledrejection", (event) => problems.push("uncaught (in promise): " + text(event.reason)));
  document.addEventListener("securitypolicyviolation", (event) =>
    problems.push("csp violation: " + event.effectiveDirective + " blocked " + (event.blockedURI || "(inline)")));
  const originalFetch = window.fetch;
  window.fetch = function (...args) {
    const target = args[0] && args[0].url ? args[0].url : String(args[0]);
    return originalFetch.apply(this, args).then(
      (response) => {
        if (response.status >= 400) problems.push("HTTP " + response.status + ": " + response.url);
        return response;
      },
      (error) => {
        problems.push("request failed: " + target + " " + error);
        throw error;
      },
    );
  };
})();`;

/** For helpers/server.mjs's `inject` option: every HTML page loads the collector first. */
export const COLLECTOR = { path: COLLECTOR_PATH, source: COLLECTOR_SOURCE };

/**
 * Launches `engine` ("chromium", "firefox" or "webkit"). Resolves to
 * `{ engine, version, open(url, options), close() }`; see the pages' methods below.
 */
export async function launch(engine) {
  const launchers = { chromium: launchChromium, firefox: launchFirefox, webkit: launchWebKit };
  if (!launchers[engine]) throw new Error(`unknown engine ${engine}: one of ${ENGINES.join(", ")}`);
  const browser = await launchers[engine]();
  const close = browser.close;
  let closing;
  // Closing checks that every process the browser started (its root process and all below it)
  // is gone, kills any that is left, by pid, and then fails.
  browser.close = () =>
    (closing ??= (async () => {
      const started = browser.rootPids.filter(Boolean).flatMap((pid) => [pid, ...descendants(pid)]);
      try {
        await close();
      } finally {
        const deadline = Date.now() + 5_000;
        while (started.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        const left = started.filter(alive);
        for (const pid of left) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // gone meanwhile
          }
        }
        if (left.length) throw new Error(`${engine}: ${left.length} process(es) outlived close (killed): ${left.map(describeProcess).join("; ")}`);
      }
    })());
  return browser;
}

function describeProcess(pid) {
  try {
    return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim().slice(0, 120)}`;
  } catch {
    return String(pid);
  }
}

// Runs in the page: is there an element matching `selector` with the wanted text, attribute
// value and state? (The same function in every engine, passed as its source.)
function matches({ selector, text, attribute, value, enabled }) {
  const test = (wanted, actual) => {
    if (wanted === undefined) return true;
    if (actual === null || actual === undefined) return false;
    if (typeof wanted === "string") return actual === wanted;
    return new RegExp(wanted.source, wanted.flags).test(actual);
  };
  return [...document.querySelectorAll(selector)].some(
    (element) =>
      test(text, element.textContent.trim()) &&
      (attribute === undefined || test(value ?? /[^]*/, element.getAttribute(attribute))) &&
      (!enabled || !element.disabled),
  );
}

// A RegExp cannot cross into the page as an argument: it travels as its source and flags.
function condition(selector, { text, attribute, value, enabled } = {}) {
  const plain = (v) => (v instanceof RegExp ? { source: v.source, flags: v.flags } : v);
  return { selector, text: plain(text), attribute, value: plain(value), enabled };
}

function describe(selector, options) {
  const parts = [selector];
  if (options.text !== undefined) parts.push(`text ${options.text}`);
  if (options.attribute !== undefined) parts.push(`[${options.attribute}${options.value !== undefined ? `=${options.value}` : ""}]`);
  if (options.enabled) parts.push("enabled");
  return parts.join(" ");
}

/**
 * A page, the same in every engine. From the engine (`raw`): `engine`, `handle` (playwright's or
 * puppeteer's Page, or the WebDriver window handle), `goto(url)`, `evaluate(fn, arg)` (runs
 * `fn(arg)` in the page; JSON-like values both ways), `waitForPopup(action)` (runs `action`,
 * resolves to the window it opened, as a page), `screenshot(path)`, `close()`, and the
 * primitives `click`, `url`, `nativeProblems`, `pageProblems` used below. Added here:
 * `waitForFunction`, `waitFor`, `click`, `selectIndex`, `text`, `url` and `problems`.
 */
function page(raw) {
  const self = {
    ...raw,
    /**
     * Polls `fn(arg)` in the page until it returns something truthy (errors, e.g. while the page
     * navigates, count as not yet).
     */
    async waitForFunction(fn, arg, timeout = raw.timeout) {
      const deadline = Date.now() + timeout;
      let last;
      for (;;) {
        try {
          const value = await raw.evaluate(fn, arg);
          if (value) return value;
        } catch (error) {
          last = error;
        }
        if (Date.now() > deadline) throw new Error(`${raw.engine}: timed out after ${timeout} ms${last ? ` (last error: ${last.message})` : ""}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    /** The page's address. */
    async url() {
      return raw.url();
    },
    /** Waits until `selector` matches an element with `text` / `attribute`=`value` / `enabled`. */
    async waitFor(selector, options = {}) {
      const { timeout = raw.timeout } = options;
      try {
        await self.waitForFunction(matches, condition(selector, options), timeout);
      } catch (error) {
        throw new Error(`${raw.engine}: waiting for ${describe(selector, options)}: ${error.message}`, { cause: error });
      }
    },
    /** Waits for `selector` to be enabled, then clicks it the way a user does (a trusted click). */
    async click(selector, options = {}) {
      await self.waitFor(selector, { ...options, enabled: true });
      await raw.click(selector);
    },
    /** Picks the option at `index` of the <select> `selector` and fires `change`. */
    async selectIndex(selector, index) {
      await self.waitFor(`${selector} option`);
      await raw.evaluate(
        ({ selector, index }) => {
          const select = document.querySelector(selector);
          select.selectedIndex = index;
          select.dispatchEvent(new Event("input", { bubbles: true }));
          select.dispatchEvent(new Event("change", { bubbles: true }));
        },
        { selector, index },
      );
    },
    /** The text of the first element matching `selector` (null when there is none). */
    text(selector) {
      return raw.evaluate((selector) => document.querySelector(selector)?.textContent ?? null, selector);
    },
    /** Everything reported so far: the engine's own reports, then the page-side collector's. */
    async problems() {
      return [...raw.nativeProblems, ...(await raw.pageProblems())];
    },
  };
  return self;
}

// ---------------------------------------------------------------------------------------- Chromium

async function launchChromium() {
  const children = new Set(childrenOf(process.pid));
  const browser = await launchPlaywrightChromium();
  // playwright keeps the browser's process to itself: it is the child this launch added.
  const rootPids = childrenOf(process.pid).filter((pid) => !children.has(pid));
  return {
    engine: "chromium",
    rootPids,
    version: `Chromium ${browser.version()}`,
    async open(url, { timeout = DEFAULT_TIMEOUT } = {}) {
      const context = await browser.newContext();
      context.setDefaultTimeout(timeout);
      const wrap = (target) => {
        const nativeProblems = [];
        target.on("console", (message) => {
          if (message.type() === "error" || message.type() === "warning") nativeProblems.push(`console.${message.type()}: ${message.text()}`);
        });
        target.on("pageerror", (error) => nativeProblems.push(`uncaught: ${error.stack ?? error.message}`));
        target.on("requestfailed", (request) => nativeProblems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
        target.on("response", (response) => {
          if (response.status() >= 400) nativeProblems.push(`HTTP ${response.status()}: ${response.url()}`);
        });
        const self = page({
          engine: "chromium",
          timeout,
          nativeProblems,
          handle: target,
          evaluate: (fn, arg) => target.evaluate(fn, arg),
          click: (selector) => target.click(selector),
          goto: async (to) => {
            const response = await target.goto(to, { waitUntil: "load" });
            if (!response?.ok()) nativeProblems.push(`navigation to ${to}: HTTP ${response?.status()}`);
          },
          async waitForPopup(action) {
            const [popup] = await Promise.all([target.waitForEvent("popup", { timeout }), action()]);
            return wrap(popup);
          },
          url: () => target.url(),
          screenshot: (path) => target.screenshot({ path, fullPage: true }),
          pageProblems: async () => [],
          close: () => context.close(),
        });
        return self;
      };
      const first = wrap(await context.newPage());
      // Only 127.0.0.1 is reachable: anything else is aborted and reported (on the first page).
      await context.route("**/*", (route) => {
        const target = new URL(route.request().url());
        if (target.protocol === "data:" || target.hostname === "127.0.0.1") return route.continue();
        first.nativeProblems.push(`request outside loopback blocked: ${target.href}`);
        return route.abort();
      });
      await first.goto(url);
      return first;
    },
    close: () => browser.close(),
  };
}

// ----------------------------------------------------------------------------------------- Firefox

async function launchFirefox() {
  const { default: puppeteer } = await import("puppeteer-core");
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: firefoxPath(),
    headless: true,
    timeout: 60_000,
    protocolTimeout: 60_000,
    extraPrefsFirefox: {
      // No update checks, telemetry or remote settings: the machine is offline anyway.
      "app.update.enabled": false,
      "datareporting.policy.dataSubmissionEnabled": false,
      "toolkit.telemetry.enabled": false,
      "network.captive-portal-service.enabled": false,
      "network.connectivity-service.enabled": false,
    },
  });
  const version = (await browser.version()).replace(/^firefox\//i, "");
  return {
    engine: "firefox",
    rootPids: [browser.process()?.pid],
    version: `Firefox ${version}`,
    async open(url, { timeout = DEFAULT_TIMEOUT } = {}) {
      const context = await browser.createBrowserContext();
      const wrap = (target) => {
        target.setDefaultTimeout(timeout);
        const nativeProblems = [];
        target.on("console", (message) => {
          if (message.type() === "error" || message.type() === "warn") nativeProblems.push(`console.${message.type() === "warn" ? "warning" : "error"}: ${message.text()}`);
        });
        target.on("pageerror", (error) => nativeProblems.push(`uncaught: ${error?.stack ?? error?.message ?? error}`));
        target.on("requestfailed", (request) => nativeProblems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
        target.on("request", (request) => {
          const to = new URL(request.url());
          if (to.protocol !== "data:" && to.hostname !== "127.0.0.1") nativeProblems.push(`request outside loopback: ${to.href}`);
        });
        target.on("response", (response) => {
          if (response.status() >= 400) nativeProblems.push(`HTTP ${response.status()}: ${response.url()}`);
        });
        return page({
          engine: "firefox",
          timeout,
          nativeProblems,
          handle: target,
          evaluate: (fn, arg) => target.evaluate(fn, arg),
          click: (selector) => target.locator(selector).click(),
          goto: async (to) => {
            const response = await target.goto(to, { waitUntil: "load", timeout });
            if (!response?.ok()) nativeProblems.push(`navigation to ${to}: HTTP ${response?.status()}`);
          },
          async waitForPopup(action) {
            const popup = new Promise((resolve, reject) => {
              const timer = setTimeout(() => reject(new Error(`firefox: no popup within ${timeout} ms`)), timeout);
              target.once("popup", (opened) => {
                clearTimeout(timer);
                resolve(opened);
              });
            });
            await action();
            return wrap(await popup);
          },
          url: () => target.url(),
          screenshot: (path) => target.screenshot({ path, fullPage: true }),
          pageProblems: async () => [],
          close: () => context.close(),
        });
      };
      const first = wrap(await context.newPage());
      await first.goto(url);
      return first;
    },
    close: () => browser.close(),
  };
}

// ------------------------------------------------------------------------------------------ WebKit

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The pids of the direct children of `pid` (from /proc). */
function childrenOf(pid) {
  return processTree().get(pid) ?? [];
}

/** The pids of every live descendant of `pid` (from /proc). */
function descendants(pid) {
  const children = processTree();
  const found = [];
  const walk = (parent) => {
    for (const child of children.get(parent) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

/** parent pid -> its children's pids. */
function processTree() {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function launchWebKit() {
  const { Builder, By } = await import("selenium-webdriver");
  const paths = webkitPaths();
  // A private X server first (MiniBrowser has no headless mode): -displayfd 1 makes Xvfb pick a
  // free display number and print it. Then the driver, on that display; it starts MiniBrowser,
  // which starts its web and network processes. Each of the two runs in its own process group.
  // (Not xvfb-run: killed, it leaves its temporary folder, and Xvfb its lock file, behind.)
  const xvfb = start(paths.xvfb, ["-displayfd", "1", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"]);
  let driverProcess;
  // The driver's group (driver, MiniBrowser and its processes), then the X server, which removes
  // its lock file on SIGTERM; launch()'s close then checks that nothing outlived them.
  const stopAll = async () => {
    await driverProcess?.stop();
    await xvfb.stop();
  };
  let driver;
  try {
    const [, display] = await xvfb.waitFor(/^(\d+)$/m, 30_000);
    const port = await freePort();
    driverProcess = start(paths.driver, [`--port=${port}`, "--host=127.0.0.1"], { env: { DISPLAY: `:${display}` } });
    const server = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const response = await fetch(`${server}/status`, { signal: AbortSignal.timeout(2_000) });
        if (response.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`WebKitWebDriver did not listen on ${server} within 30 s:\n${driverProcess.output()}`);
      if (driverProcess.child.exitCode !== null) throw new Error(`WebKitWebDriver exited:\n${driverProcess.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    driver = await new Builder()
      .usingServer(server)
      .withCapabilities({
        browserName: "MiniBrowser",
        "webkitgtk:browserOptions": { binary: paths.browser, args: ["--automation"] },
      })
      .build();
  } catch (error) {
    await stopAll().catch(() => {});
    throw error;
  }
  const capabilities = await driver.getCapabilities();
  const version = capabilities.get("browserVersion");

  // One WebDriver session, many windows: every call switches to its window first (calls run one
  // at a time, in order).
  let current;
  let queue = Promise.resolve();
  const serial = (fn) => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };
  const on = (handle, fn) =>
    serial(async () => {
      if (current !== handle) {
        await driver.switchTo().window(handle);
        current = handle;
      }
      return fn();
    });
  const evaluateIn = (handle, fn, arg) =>
    on(handle, async () => {
      const answer = await driver.executeAsyncScript(
        `const done = arguments[arguments.length - 1];
         Promise.resolve().then(() => (${fn})(arguments[0])).then(
           (value) => done({ value: value === undefined ? null : value }),
           (error) => done({ error: String(error) + "\\n" + ((error && error.stack) || "") }));`,
        arg ?? null,
      );
      if (answer?.error !== undefined) throw new Error(`webkit: in the page: ${answer.error}`);
      return answer?.value;
    });
  const installCollector = (handle) => evaluateIn(handle, new Function(COLLECTOR_SOURCE));
  let firstWindow = true;

  const wrap = (handle, timeout) => {
    let closed = false;
    return page({
      engine: "webkit",
      timeout,
      nativeProblems: [],
      handle,
      evaluate: (fn, arg) => evaluateIn(handle, fn, arg),
      click: (selector) => on(handle, () => driver.findElement(By.css(selector)).click()),
      goto: async (to) => {
        await on(handle, () => driver.get(to));
        await installCollector(handle);
      },
      async waitForPopup(action) {
        const before = new Set(await serial(() => driver.getAllWindowHandles()));
        await action();
        const deadline = Date.now() + timeout;
        for (;;) {
          const opened = (await serial(() => driver.getAllWindowHandles())).find((h) => !before.has(h));
          if (opened) {
            const popup = wrap(opened, timeout);
            await popup.waitForFunction(() => document.readyState === "complete", null, timeout).catch(() => {});
            await installCollector(opened).catch(() => {});
            return popup;
          }
          if (Date.now() > deadline) throw new Error(`webkit: no popup within ${timeout} ms`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      },
      url: () => on(handle, () => driver.getCurrentUrl()),
      screenshot: (path) => on(handle, async () => writeFileSync(path, Buffer.from(await driver.takeScreenshot(), "base64"))),
      async pageProblems() {
        try {
          return (await evaluateIn(handle, () => window.__problems ?? [])) ?? [];
        } catch {
          return []; // the window is gone
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        await serial(async () => {
          const handles = await driver.getAllWindowHandles();
          if (!handles.includes(handle)) return;
          if (handles.length > 1) {
            await driver.switchTo().window(handle);
            await driver.close();
            current = (await driver.getAllWindowHandles())[0];
            await driver.switchTo().window(current);
          } else {
            // The last window stays (closing it ends the session): blank it instead.
            await driver.switchTo().window(handle);
            current = handle;
            await driver.get("about:blank");
          }
        });
      },
    });
  };

  return {
    engine: "webkit",
    rootPids: [driverProcess.child.pid, xvfb.child.pid],
    version: `WebKitGTK ${version} (MiniBrowser)`,
    async open(url, { timeout = DEFAULT_TIMEOUT } = {}) {
      let handle;
      if (firstWindow) {
        firstWindow = false;
        handle = await serial(() => driver.getWindowHandle());
      } else {
        handle = await serial(async () => {
          // New Window needs a current window that is still open (a popup may have closed itself).
          await driver.switchTo().window((await driver.getAllWindowHandles())[0]);
          await driver.switchTo().newWindow("window");
          return driver.getWindowHandle();
        });
      }
      current = handle;
      const opened = wrap(handle, timeout);
      await opened.goto(url);
      return opened;
    },
    async close() {
      try {
        await driver.quit();
      } finally {
        await stopAll();
      }
    },
  };
}
