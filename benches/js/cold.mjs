// One cold start, run in a fresh Node process by bench.mjs: import the module given as the first
// argument, parse the URL given as the second (or, with a third argument "validate", validate it
// as a redirect URL, which needs the main wasm), and print how long that took.
const begin = performance.now();
const module = await import(process.argv[2]);
const validate = process.argv[4] === "validate";
const result = validate ? module.validateRedirectUrl(process.argv[3]) : module.parseRedirect(process.argv[3]);
const end = performance.now();
if (validate ? typeof result !== "string" : result.status !== "success") process.exit(1);
process.stdout.write(JSON.stringify({ importToResult: end - begin, startToResult: end }));
