// The tests of a user's test file, the same under every runner: tests/js/test-runners.test.mjs
// writes markifact.spec.js from one of its headers (Vitest's imports, Jest's require() or Jest's
// ESM imports) and this body. MARKIFACT_ENV says which environment the runner was configured
// for: "node" or "jsdom".
const jsdom = process.env.MARKIFACT_ENV === "jsdom";

test("runs in the configured environment", () => {
  expect(typeof document).toBe(jsdom ? "object" : "undefined");
});

test("parses a success redirect, from either entry", () => {
  const url = "https://app.example/cb?status=success&connection_type=ga4&connection_id=c_test";
  const expected = { status: "success", connectionType: "ga4", connectionId: "c_test", appParams: [] };
  expect(parseRedirect(url)).toEqual(expected);
  expect(callback.parseRedirect(url)).toEqual(expected);
});

test("validates a redirect URL", () => {
  expect(validateRedirectUrl("https://app.example/cb")).toBe("https://app.example/cb");
  try {
    validateRedirectUrl("http://app.example/cb");
    throw new Error("no error");
  } catch (e) {
    expect(e).toBeInstanceOf(MarkifactError);
    expect([e.code, e.field, e.rule]).toEqual(["invalid_redirect_url", "redirectUrl", "not_https"]);
  }
});

test("a MarkifactError from the callback entry is the same class, with its code", () => {
  expect(callback.MarkifactError).toBe(MarkifactError);
  expect(() => callback.parseRedirect("https://app.example/cb?status=pending")).toThrow(MarkifactError);
  try {
    callback.parseRedirect("https://app.example/cb?status=pending");
  } catch (e) {
    expect(e.code).toBe("invalid_status");
  }
});

(jsdom ? test.skip : test)("the client's network failure is a coded MarkifactError", async () => {
  const client = new MarkifactClient({ apiKey: "sk_x", baseUrl: "http://127.0.0.1:1", maxRetries: 0 });
  const error = await client.listConnectionTypes().catch((e) => e);
  expect(error).toBeInstanceOf(MarkifactError);
  expect(error.code).toBe("network");
});
