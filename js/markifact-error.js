// The one error class of the package. Every failure, from validation to parsing, is an instance,
// with a stable `code` (see the README's error table) and, where it applies, `field` and `rule`.
export class MarkifactError extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.name = "MarkifactError";
    this.code = code;
    if (details.field !== undefined) this.field = details.field;
    if (details.rule !== undefined) this.rule = details.rule;
  }
}

// Called from Rust (src/wasm/) to build the errors it returns.
export function createMarkifactError(code, message, field, rule) {
  return new MarkifactError(code, message, { field, rule });
}
