// One cold start, run in a fresh Node process by bench.mjs: import the module given as the first
// argument, parse the URL given as the second, and print how long that took.
const begin = performance.now();
const module = await import(process.argv[2]);
const result = module.parseRedirect(process.argv[3]);
const end = performance.now();
if (result.status !== "success") process.exit(1);
process.stdout.write(JSON.stringify({ importToResult: end - begin, startToResult: end }));
