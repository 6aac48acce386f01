// What a user would write instead of the package: the platform's WHATWG `URL` and
// `URLSearchParams`, with the same rules as `parseRedirect` (the `markifact_` prefix preference,
// a duplicated unprefixed name is an error, the status decides which fields are read, the other
// parameters are the app's, in order). Same result shape, so the benchmark can check that both
// agree on every input before timing them.
const NAMES = ["status", "connection_type", "connection_id", "external_id", "error"];
const PREFIX = "markifact_";

function fail(code, field) {
  const error = new Error(`${code}: ${field}`);
  error.code = code;
  error.field = field;
  return error;
}

export function parseRedirect(href) {
  let url;
  try {
    url = new URL(href);
  } catch {
    throw fail("invalid_url", "url");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw fail("invalid_url", "url");
  const pairs = [...new URLSearchParams(url.search)];
  const prefixed = {};
  const plain = {};
  const duplicated = {};
  pairs.forEach(([key], index) => {
    if (key.startsWith(PREFIX) && NAMES.includes(key.slice(PREFIX.length))) {
      prefixed[key.slice(PREFIX.length)] = index; // Markifact appends: the last one wins
    } else if (NAMES.includes(key)) {
      if (key in plain) duplicated[key] = true;
      else plain[key] = index;
    }
  });
  const taken = new Set();
  const read = (name) => {
    let index = prefixed[name];
    if (index === undefined) {
      if (duplicated[name]) throw fail("duplicate_parameter", name);
      index = plain[name];
    }
    if (index === undefined) return undefined;
    taken.add(index);
    return pairs[index][1];
  };
  const status = read("status");
  if (status === undefined) throw fail("missing_status", "status");
  if (status !== "success" && status !== "error") throw fail("invalid_status", "status");
  const connectionType = read("connection_type");
  if (status === "success") {
    const connectionId = read("connection_id");
    const externalId = read("external_id");
    if (!connectionType) throw fail("missing_parameter", "connection_type");
    if (!connectionId) throw fail("missing_parameter", "connection_id");
    const result = { status, connectionType, connectionId };
    if (externalId !== undefined) result.externalId = externalId;
    result.appParams = pairs.filter((_, index) => !taken.has(index));
    return result;
  }
  const externalId = read("external_id");
  const error = read("error") ?? "";
  const result = { status };
  if (connectionType !== undefined) result.connectionType = connectionType;
  if (externalId !== undefined) result.externalId = externalId;
  result.error = error;
  result.appParams = pairs.filter((_, index) => !taken.has(index));
  return result;
}
