// The demo page: every <section data-tool="NAME"> gets the module tools/NAME.js mounted into it.
// A tool module imports the package itself (`import { ... } from "/pkg/index.js"`, which
// initialises the wasm with a top-level await) and exports `mount(section)`. Importing the tools
// dynamically lets this page say so when the package cannot be loaded.

const status = document.getElementById("app-status");
const sections = [...document.querySelectorAll("section[data-tool]")];

try {
  const tools = await Promise.all(sections.map((section) => import(`./tools/${section.dataset.tool}.js`)));
  await Promise.all(tools.map((tool, index) => tool.mount(sections[index])));
  status.textContent = "Ready: markifact-connect is loaded (WebAssembly). Results update as you type.";
  document.body.dataset.state = "ready";
} catch (error) {
  status.textContent = `Could not load markifact-connect: ${error?.message ?? error}. Is the package built (pkg/)?`;
  status.classList.add("app-status--failed");
  document.body.dataset.state = "failed";
  // Left for the developer console too; the page itself already says what went wrong.
  console.error(error);
}
