// Headless system Chromium through playwright-core, with everything a page reports collected.
import { after } from "node:test";
import { chromium } from "playwright-core";
import { cleanup } from "./proc.mjs";
import { chromiumPath } from "./env.mjs";

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Launches Chromium; close it with `await browser.close()` (in an `after` hook). */
export function launchChromium() {
  return chromium.launch({ executablePath: chromiumPath(), args: ARGS, headless: true, timeout: 60_000 });
}

/**
 * Opens `url` in a fresh context and returns `{ page, problems }`: `problems` collects console
 * errors and warnings, uncaught exceptions, failed requests and HTTP error responses, as text.
 * Only 127.0.0.1 is reachable: any other request is aborted and reported.
 */
export async function openPage(browser, url, { timeout = 30_000 } = {}) {
  const context = await browser.newContext();
  context.setDefaultTimeout(timeout);
  const page = await context.newPage();
  const problems = [];
  const messages = [];
  await context.route("**/*", (route) => {
    const target = new URL(route.request().url());
    if (target.protocol === "data:" || target.hostname === "127.0.0.1") return route.continue();
    problems.push(`request outside loopback blocked: ${target.href}`);
    return route.abort();
  });
  page.on("console", (message) => {
    messages.push(`${message.type()}: ${message.text()}`);
    if (message.type() === "error" || message.type() === "warning") {
      problems.push(`console.${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.stack ?? error.message}`));
  page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  const response = await page.goto(url, { waitUntil: "load" });
  if (!response?.ok()) problems.push(`navigation to ${url}: HTTP ${response?.status()}`);
  return { page, problems, messages, close: () => context.close() };
}

/** An `after` hook that closes what each getter returns (page, browser, server), whatever fails. */
export function closeAfterTests(...getters) {
  after(() => cleanup(...getters.map((get) => () => get()?.close())), { timeout: 60_000 });
}
