// The one error class of the package. Every failure, from validation to the network, is an
// instance, with a stable `code` (see the README's error table) and, where they apply, `field`,
// `rule`, `status`, `retryable`, `retryAfterMs` and `detail`.
export class MarkifactError extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.name = "MarkifactError";
    this.code = code;
    this.retryable = details.retryable === true;
    for (const key of ["field", "rule", "status", "retryAfterMs", "detail"]) {
      if (details[key] !== undefined) this[key] = details[key];
    }
  }
}

// Called from Rust (src/wasm/) to build the errors it returns.
export function createMarkifactError(code, message, details) {
  return new MarkifactError(code, message, details);
}
