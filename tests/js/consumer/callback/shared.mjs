// The checks of the `markifact-connect/callback` entry, run in Node (check.mjs) and in Chromium
// (page.mjs): the shared vectors (parse_redirect through the callback entry; the other files
// through the main entry, which the callback entry does not carry) and the entry's exports.
import { runVectors, checkList, assert, deepEqual } from "./vector-runner.mjs";

export function checkCallback(callback, main, files) {
  const { checks, check } = checkList();
  const vectors = runVectors({ ...main, parseRedirect: callback.parseRedirect }, files);
  check("the callback entry exports the parser, the browser helpers and MarkifactError only", () => {
    const names = Object.keys(callback).sort();
    const want = ["MarkifactError", "completeAuthRedirect", "errorCodes", "openAuthLink", "parseRedirect"];
    assert(deepEqual(names, want), `exports: ${names.join(", ")}`);
  });
  check("its errors are the main entry's MarkifactError class", () => {
    assert(callback.MarkifactError === main.MarkifactError, "two MarkifactError classes");
    try {
      callback.parseRedirect("not a url");
    } catch (error) {
      assert(error instanceof main.MarkifactError && error.code === "invalid_url", `${error}`);
      return;
    }
    throw new Error("did not throw");
  });
  check("errorCodes() is the main entry's list", () => {
    assert(deepEqual(callback.errorCodes(), main.errorCodes()), "different codes");
  });
  check("results equal the main entry's, exact mode and wrong types included", () => {
    const url = "https://app.example.com/cb?s=1&status=success&connection_type=ga4&connection_id=c_1&external_id=%F0%9F%98%80";
    assert(deepEqual(callback.parseRedirect(url), main.parseRedirect(url)), "different results");
    const options = { redirectUrl: "https://app.example.com/cb?s=1" };
    assert(deepEqual(callback.parseRedirect(url, options), main.parseRedirect(url, options)), "exact mode differs");
    for (const [args, code] of [
      [[42], "invalid_argument"],
      [[url, { redirectUrl: 1 }], "invalid_argument"],
      [[url, "x"], "invalid_argument"],
      [["https://a.example/?" + "x".repeat(17000)], "input_too_long"],
      [["https://a.example/?" + "é".repeat(8200)], "input_too_long"],
      [["https://a.example/?\uD800status=error"], "missing_status"],
    ]) {
      let got;
      try {
        callback.parseRedirect(...args);
      } catch (error) {
        got = error.code;
      }
      assert(got === code, `${JSON.stringify(args).slice(0, 60)}: ${got}, expected ${code}`);
    }
    const long = "https://a.example/?status=error&e=" + "é".repeat(8000);
    assert(deepEqual(callback.parseRedirect(long), main.parseRedirect(long)), "16 KiB boundary differs");
  });
  return { vectors, checks };
}
