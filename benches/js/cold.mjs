// One cold start, run in a fresh Node process by bench.mjs: import the module given as the first
// argument, parse the URL given as the second (or, with a third argument "validate", validate it
// as a redirect URL, which needs the main wasm; with "client", create an auth link with
// `MarkifactClient` against the sandbox at MARKIFACT_SANDBOX_URL), and print how long that took.
const begin = performance.now();
const module = await import(process.argv[2]);
const mode = process.argv[4];
const sandbox = { apiKey: "sk_sandbox", baseUrl: process.env.MARKIFACT_SANDBOX_URL };
const result =
  mode === "validate"
    ? module.validateRedirectUrl(process.argv[3])
    : mode === "client"
      ? await new module.MarkifactClient(sandbox).createAuthLink({ connectionType: "ga4" })
      : module.parseRedirect(process.argv[3]);
const end = performance.now();
const ok = mode === "validate" ? typeof result === "string" : mode === "client" ? typeof result.url === "string" : result.status === "success";
if (!ok) process.exit(1);
process.stdout.write(JSON.stringify({ importToResult: end - begin, startToResult: end }));
