// The demo page (www/) in headless Chromium, against the server `cargo xtask test` starts
// (MARKIFACT_DEMO_URL; the page imports the built package from /pkg/). Locators go through roles
// and labels, so the page's accessibility is checked along the way. Screenshots (360px wide and
// desktop) are saved to target/artifacts/.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const DEMO_URL = process.env.MARKIFACT_DEMO_URL;
const CHROMIUM_PATH = process.env.CHROMIUM_PATH;
const ARTIFACTS = fileURLToPath(new URL("../../target/artifacts/", import.meta.url));
const TIMEOUT = 15_000;

const EXAMPLE =
  "https://example.com/cb?status=started&session_id=abc&markifact_status=success" +
  "&connection_type=ga4&connection_id=conn_123&external_id=user_42";

test("demo page (www/)", { timeout: 180_000 }, async (t) => {
  assert.ok(
    DEMO_URL,
    "MARKIFACT_DEMO_URL is not set: run this through `cargo xtask test`, or serve the demo " +
      "(`cargo xtask demo`) and set MARKIFACT_DEMO_URL=http://127.0.0.1:PORT/",
  );
  assert.ok(CHROMIUM_PATH, "CHROMIUM_PATH is not set: point it at a Chromium binary (e.g. /usr/bin/chromium)");

  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    timeout: 60_000,
  });
  // Every console error, uncaught exception and failed request of every page, checked at the end.
  const problems = [];
  try {
    const page = await openDemo(browser, { width: 1280, height: 900 }, problems, "desktop");
    const parse = page.getByRole("region", { name: "Parse a redirect" });
    const parseResult = parse.getByRole("group", { name: "Parse result" });
    const validate = page.getByRole("region", { name: "Validate link inputs" });

    await t.test("loads the package and explains that the redirect is not proof", async () => {
      await page.getByRole("heading", { level: 1, name: "markifact-connect demo" }).waitFor();
      await page.getByText("The redirect is not proof.").waitFor();
      const live = await parseResult.getAttribute("aria-live");
      assert.equal(live, "polite", "the parse result region is a polite live region");
    });

    await t.test("the prefilled example parses: connection conn_123, app param session_id", async () => {
      const textarea = parse.getByLabel("Redirect URL (where Markifact sent the browser back)");
      assert.equal(await textarea.inputValue(), EXAMPLE);
      await eventually(async () => {
        assert.equal(await fact(parseResult, "Connection id"), "conn_123");
        assert.equal(await fact(parseResult, "Connection type"), "ga4");
        assert.equal(await fact(parseResult, "External id"), "user_42");
      });
      await parseResult.getByText("success", { exact: true }).waitFor();
      const params = parseResult.getByRole("table", { name: "App parameters" });
      assert.deepEqual(await tableRows(params), [
        ["status", "started"],
        ["session_id", "abc"],
      ]);
      const json = JSON.parse(await page.getByRole("region", { name: "Typed result as JSON" }).textContent());
      assert.equal(json.status, "success");
      assert.equal(json.connectionId, "conn_123");
      assert.deepEqual(json.appParams, [
        ["status", "started"],
        ["session_id", "abc"],
      ]);
    });

    await t.test("exact mode with the original redirect_url", async () => {
      const original = parse.getByLabel("Original redirect_url (optional)");
      await original.fill("https://example.com/cb?status=started&session_id=abc");
      await eventually(async () => assert.equal(await fact(parseResult, "Connection id"), "conn_123"));
      await original.fill("https://example.com/other");
      await eventually(async () => assert.equal(await fact(parseResult, "Code"), "redirect_mismatch"));
      await original.fill("");
      await eventually(async () => assert.equal(await fact(parseResult, "Connection id"), "conn_123"));
    });

    await t.test("typing a redirect with status=bogus shows the coded error invalid_status", async () => {
      const textarea = parse.getByLabel("Redirect URL (where Markifact sent the browser back)");
      await textarea.fill("");
      await textarea.pressSequentially("https://example.com/cb?status=bogus&connection_type=ga4&connection_id=c1");
      await eventually(async () => {
        assert.equal(await fact(parseResult, "Code"), "invalid_status");
        assert.equal(await fact(parseResult, "Field"), "status");
        assert.match(await fact(parseResult, "Message"), /bogus/);
      });
      await parseResult.getByText("rejected", { exact: true }).waitFor();
    });

    await t.test("an error redirect is a parsed result, not a failure", async () => {
      await parse.getByRole("button", { name: "Error redirect" }).click();
      await parseResult.getByText("error", { exact: true }).waitFor();
      await eventually(async () => {
        assert.equal(await fact(parseResult, "Connection type"), "gads");
        assert.equal(await fact(parseResult, "Message (for logs, not logic)"), "The user denied access");
      });
    });

    await t.test("redirect_url validation: not_https, then localhost allowed for the sandbox", async () => {
      const url = validate.getByLabel("redirect_url", { exact: true });
      const allowLocalhost = validate.getByLabel("Allow http://localhost for the sandbox");
      const result = validate.getByRole("group", { name: "redirect_url check" });
      assert.equal(await result.getAttribute("aria-live"), "polite");

      await url.fill("http://example.com/cb");
      await eventually(async () => assert.equal(await fact(result, "Rule"), "not_https"));
      await result.getByText("invalid", { exact: true }).waitFor();

      await url.fill("http://localhost:3000/cb");
      await eventually(async () => assert.equal(await fact(result, "Rule"), "not_https"));
      await allowLocalhost.check();
      await result.getByText("valid", { exact: true }).waitFor();
      await result.getByText("http://localhost:3000/cb", { exact: true }).waitFor();
      assert.equal(await result.getByRole("term").count(), 0, "no error details once valid");

      await allowLocalhost.uncheck();
      await eventually(async () => assert.equal(await fact(result, "Rule"), "not_https"));
      await url.fill("https://example.com/cb#frag");
      await eventually(async () => assert.equal(await fact(result, "Rule"), "fragment"));
    });

    await t.test("external_id validation: valid (N characters), empty, too_long", async () => {
      const id = validate.getByLabel("external_id", { exact: true });
      const result = validate.getByRole("group", { name: "external_id check" });
      await id.fill("user_42");
      await result.getByText("valid (7 characters)").waitFor();
      await id.fill("é😀");
      await result.getByText("valid (2 characters)").waitFor();
      await id.fill("");
      await eventually(async () => assert.equal(await fact(result, "Rule"), "empty"));
      await id.fill("x".repeat(256));
      await eventually(async () => assert.equal(await fact(result, "Rule"), "too_long"));
    });

    await t.test("X-Markifact-Context header builder", async () => {
      const section = page.getByRole("region", { name: "X-Markifact-Context header" });
      const ids = section.getByLabel("Connection ids (comma-separated)");
      const result = section.getByRole("group", { name: "Header value" });
      await ids.fill("conn_1, conn_2");
      await result.getByText('X-Markifact-Context: {"connection_ids":["conn_1","conn_2"]}', { exact: true }).waitFor();
      await ids.fill("");
      await result.getByText('X-Markifact-Context: {"connection_ids":[]}', { exact: true }).waitFor();
      await ids.fill("conn_1,,conn_2");
      await eventually(async () => {
        assert.equal(await fact(result, "Code"), "invalid_argument");
        assert.equal(await fact(result, "Rule"), "empty");
      });
    });

    await t.test("keyboard: Tab reaches the redirect textarea, with a visible focus outline", async () => {
      await page.reload();
      await waitReady(page);
      const textarea = parse.getByLabel("Redirect URL (where Markifact sent the browser back)");
      let reached = false;
      for (let i = 0; i < 15 && !reached; i++) {
        await page.keyboard.press("Tab");
        reached = await textarea.evaluate((element) => element === document.activeElement);
      }
      assert.ok(reached, "the textarea is reachable with Tab");
      const outline = await textarea.evaluate((element) => getComputedStyle(element).outlineStyle);
      assert.notEqual(outline, "none", "the focused textarea has a visible outline");
      // An example button works from the keyboard.
      const button = parse.getByRole("button", { name: "Invalid status" });
      await button.focus();
      await page.keyboard.press("Enter");
      await eventually(async () => assert.equal(await fact(parseResult, "Code"), "invalid_status"));
    });

    await t.test("screenshots: 360px wide (no horizontal scrolling) and desktop", async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      const narrow = await openDemo(browser, { width: 360, height: 780 }, problems, "360px");
      try {
        const narrowParse = narrow.getByRole("region", { name: "Parse a redirect" });
        await eventually(async () =>
          assert.equal(await fact(narrowParse.getByRole("group", { name: "Parse result" }), "Connection id"), "conn_123"),
        );
        const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `the page scrolls horizontally at 360px by ${overflow}px`);
        await narrow.screenshot({ path: `${ARTIFACTS}demo-360.png`, fullPage: true });
      } finally {
        await narrow.context().close();
      }
      const desktop = await openDemo(browser, { width: 1280, height: 900 }, problems, "desktop screenshot");
      try {
        await eventually(async () =>
          assert.equal(await fact(desktop.getByRole("group", { name: "Parse result" }), "Connection id"), "conn_123"),
        );
        await desktop.screenshot({ path: `${ARTIFACTS}demo-desktop.png`, fullPage: true });
      } finally {
        await desktop.context().close();
      }
    });

    await t.test("no console errors, page errors or failed requests", () => {
      assert.deepEqual(problems, []);
    });
  } finally {
    await browser.close();
  }
});

/** Opens the demo in a fresh context, recording problems, and waits until the tools are mounted. */
async function openDemo(browser, viewport, problems, label) {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(TIMEOUT);
  context.setDefaultNavigationTimeout(TIMEOUT);
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`${label}: console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`${label}: page error: ${error.message}`));
  page.on("requestfailed", (request) =>
    problems.push(`${label}: request failed: ${request.url()} (${request.failure()?.errorText})`),
  );
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`${label}: HTTP ${response.status()} for ${response.url()}`);
  });
  await page.goto(DEMO_URL);
  await waitReady(page);
  return page;
}

/** Waits for app.js to report whether the package loaded, and fails with its message if not. */
async function waitReady(page) {
  await page.waitForFunction(() => document.body.dataset.state !== "loading", null, { timeout: TIMEOUT });
  const state = await page.evaluate(() => document.body.dataset.state);
  const status = await page.getByRole("status").first().textContent();
  assert.equal(state, "ready", `the demo did not load: ${status}`);
}

/** The text of the <dd> that follows the <dt> named `term` in `scope`. */
async function fact(scope, term) {
  const dt = scope.getByRole("term").filter({ hasText: new RegExp(`^${escapeRegExp(term)}$`) });
  const count = await dt.count();
  assert.equal(count, 1, `expected one "${term}" entry, found ${count}: ${await scope.textContent()}`);
  return (await dt.locator("xpath=following-sibling::dd[1]").textContent()).trim();
}

/** The rows of a table body as arrays of cell texts. */
async function tableRows(table) {
  const rows = table.locator("tbody").getByRole("row");
  const result = [];
  for (const row of await rows.all()) {
    result.push((await row.getByRole("cell").allTextContents()).map((text) => text.trim()));
  }
  return result;
}

/** Retries an assertion until it passes or the timeout elapses (results update asynchronously). */
async function eventually(check, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
