// Small DOM helpers. Everything that may hold user data goes through text nodes (never innerHTML).

/**
 * Creates an element. `props` sets a few safe properties (className, id, hidden, and attributes
 * under `attrs`); children are nodes or strings (strings become text nodes), null/false are skipped.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  const { className, attrs, ...rest } = props ?? {};
  if (className) element.className = className;
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value !== undefined && value !== null && value !== false) element.setAttribute(name, String(value));
  }
  for (const [name, value] of Object.entries(rest)) element[name] = value;
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `element`. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/** A <dl> from [term, description] pairs; descriptions may be nodes or strings. */
export function definitionList(pairs, className = "facts") {
  return h(
    "dl",
    { className },
    pairs.map(([term, description]) => h("div", { className: "fact" }, h("dt", {}, term), h("dd", {}, description))),
  );
}

/** A code span for a value, or a muted "none" when it is absent. */
export function value(text, absent = "none") {
  return text === undefined || text === null ? h("span", { className: "muted" }, absent) : h("code", {}, text);
}

/** A status badge: kind is "success", "error" or "rejected". */
export function badge(kind, text) {
  return h("span", { className: `badge badge--${kind}` }, text);
}

/**
 * Shows a package error: code, field, rule and message. Anything that is not a MarkifactError
 * (a bug) is shown as such rather than thrown, so the page keeps working.
 */
export function errorDetails(error, MarkifactError) {
  if (!(error instanceof MarkifactError)) {
    return definitionList([
      ["Error", value(error?.name ?? "Error")],
      ["Message", String(error?.message ?? error)],
    ]);
  }
  return definitionList([
    ["Code", value(error.code)],
    ["Field", value(error.field)],
    ["Rule", value(error.rule)],
    ["Message", error.message],
  ]);
}

/** A key for renderOnce that identifies an error by everything the page shows of it. */
export function errorKey(error) {
  return JSON.stringify([error?.name, error?.code, error?.field, error?.rule, String(error?.message ?? error)]);
}

/** Calls `render` now and on every `input`/`change` event of the given elements. */
export function live(elements, render) {
  for (const element of elements) {
    element.addEventListener("input", render);
    element.addEventListener("change", render);
  }
  render();
}

/**
 * Renders into a live region only when the content really changes, so screen readers are not
 * told the same thing again on every keystroke. `key` identifies the content.
 */
export function renderOnce(region, key, build) {
  if (region.dataset.key === key) return;
  region.dataset.key = key;
  replace(region, build());
}

/**
 * JSON.stringify with two-space indentation, except that arrays of plain values (such as the
 * [name, value] pairs of appParams) stay on one line.
 */
export function formatJson(data, indent = "") {
  if (Array.isArray(data)) {
    if (data.length === 0) return "[]";
    if (data.every((item) => item === null || typeof item !== "object")) {
      return `[${data.map((item) => JSON.stringify(item)).join(", ")}]`;
    }
    const inner = indent + "  ";
    return `[\n${data.map((item) => inner + formatJson(item, inner)).join(",\n")}\n${indent}]`;
  }
  if (data !== null && typeof data === "object") {
    const entries = Object.entries(data).filter(([, item]) => item !== undefined);
    if (entries.length === 0) return "{}";
    const inner = indent + "  ";
    const lines = entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${formatJson(item, inner)}`);
    return `{\n${lines.join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(data);
}
