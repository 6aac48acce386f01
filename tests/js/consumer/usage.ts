// A typed consumer of the installed package, compiled by `tsc --noEmit` with a strict tsconfig
// (moduleResolution "nodenext" and "bundler") in types.test.mjs. Every `@ts-expect-error` must
// be needed, so each one proves that tsc rejects that wrong usage.
import {
  parseRedirect,
  validateRedirectUrl,
  validateExternalId,
  contextHeader,
  errorCodes,
  MarkifactError,
  MarkifactClient,
  type MarkifactClientOptions,
  type CreateAuthLinkParams,
  type VerifyRedirectOptions,
  type WaitForAuthLinkOptions,
  type AuthLink,
  type AuthLinkStatus,
  type AuthLinkState,
  type Connection,
  type ConnectionType,
  type RedirectResult,
  openAuthLink,
  completeAuthRedirect,
  type OpenAuthLinkOptions,
  type RedirectSuccess,
  type RedirectError,
  type ParseRedirectOptions,
  type ValidateRedirectUrlOptions,
  type ErrorCode,
  type Rule,
} from "markifact-connect";

// Exact type equality (distinguishes `any`, optional and `| undefined`).
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}
// Marks values as used, without depending on a `console` from the DOM or Node typings.
function use(..._values: unknown[]): void {}

const url = "https://app.example/cb?status=success&connection_type=ga4&connection_id=c_1";
const options: ParseRedirectOptions = { redirectUrl: "https://app.example/cb" };
const result = parseRedirect(url, options);
assertType<Equals<typeof result, RedirectResult>>();
assertType<Equals<RedirectResult["status"], "success" | "error">>();
parseRedirect(url);
parseRedirect(url, {});
parseRedirect(url, null);

// Narrowing on `status`.
if (result.status === "success") {
  assertType<Equals<typeof result.connectionId, string>>();
  assertType<Equals<typeof result.connectionType, string>>();
  const id: string = result.connectionId;
  use(id.toUpperCase());
  // @ts-expect-error a success has no `error`
  use(result.error);
} else {
  assertType<Equals<typeof result.status, "error">>();
  assertType<Equals<typeof result.error, string>>();
  const message: string = result.error;
  use(message.trim());
  // @ts-expect-error an error redirect has no `connectionId`
  use(result.connectionId);
}

// Without narrowing only the common fields are there.
// @ts-expect-error `connectionId` needs narrowing on `status`
use(result.connectionId);
// @ts-expect-error `error` needs narrowing on `status`
use(result.error);
const params: Array<[string, string]> = result.appParams;
const external: string | undefined = result.externalId;
use(params, external);

// Exhaustive switch: every status is handled, so the function always returns.
function describe(r: RedirectResult): string {
  switch (r.status) {
    case "success":
      return `connected ${r.connectionType} as ${r.connectionId}`;
    case "error":
      return `failed: ${r.error}`;
  }
}
use(describe(result));
function successOnly(s: RedirectSuccess): string {
  return s.connectionId;
}
function errorOnly(e: RedirectError): string {
  return e.error;
}
if (result.status === "success") use(successOnly(result));
else use(errorOnly(result));

// Wrong arguments are rejected.
// @ts-expect-error a number is not a URL
parseRedirect(42);
// @ts-expect-error the URL is required
parseRedirect();
// @ts-expect-error misspelt option (excess property)
parseRedirect(url, { redirectURL: "https://app.example/cb" });
// @ts-expect-error redirectUrl is a string
parseRedirect(url, { redirectUrl: new URL("https://app.example/cb") });
// @ts-expect-error `status` is "success" | "error"
const pending: RedirectResult["status"] = "pending";
use(pending);

// The other functions.
const localOptions: ValidateRedirectUrlOptions = { allowInsecureLocalhost: true };
const normalised: string = validateRedirectUrl("http://localhost:3000/cb", localOptions);
assertType<Equals<ReturnType<typeof validateRedirectUrl>, string>>();
// @ts-expect-error the flag is a boolean
validateRedirectUrl("https://app.example/cb", { allowInsecureLocalhost: "yes" });
// @ts-expect-error a URL object is not accepted, pass a string
validateRedirectUrl(new URL("https://app.example/cb"));
assertType<Equals<ReturnType<typeof validateExternalId>, void>>();
validateExternalId("user_42");
// @ts-expect-error external ids are strings
validateExternalId(42);
const header: string = contextHeader(["c_1", "c_2"]);
// @ts-expect-error an array of ids, not one id
contextHeader("c_1");
// @ts-expect-error ids are strings
contextHeader([1, 2]);
const codes: ErrorCode[] = errorCodes();
use(normalised, header, codes);

// Errors: `code` is the ErrorCode union, `rule` the Rule union.
try {
  validateRedirectUrl("http://app.example/cb");
} catch (e: unknown) {
  if (e instanceof MarkifactError) {
    assertType<Equals<typeof e.code, ErrorCode>>();
    assertType<Equals<typeof e.rule, Rule | undefined>>();
    assertType<Equals<typeof e.field, string | undefined>>();
    const error: Error = e;
    use(error.message);
    switch (e.code) {
      case "invalid_redirect_url":
        use(e.rule === "not_https");
        break;
      // @ts-expect-error not an error code
      case "not_a_code":
        break;
      default:
        break;
    }
    // @ts-expect-error not a rule
    use(e.rule === "not_a_rule");
  }
}
const made = new MarkifactError("invalid_argument", "by hand", { field: "url", rule: "wrong_type" });
// @ts-expect-error not an error code
new MarkifactError("nope", "by hand");
use(made);

// The wasm-bindgen initialisers are internal: the entry points initialise themselves.
type Api = typeof import("markifact-connect");
assertType<Equals<"initSync" extends keyof Api ? true : false, false>>();
assertType<Equals<"default" extends keyof Api ? true : false, false>>();

// The client. Nothing here names a DOM type (fetch, AbortSignal...), so it also compiles
// without the DOM lib.
const clientOptions: MarkifactClientOptions = {
  apiKey: "sk_sandbox",
  baseUrl: "http://127.0.0.1:8787",
  timeoutMs: 10_000,
  maxRetries: 1,
  headers: { "x-request-source": "usage.ts" },
  allowInsecureLocalhost: true,
  onWarning: (warning: string) => use(warning.length),
};
const client = new MarkifactClient(clientOptions);
new MarkifactClient();
new MarkifactClient({ baseUrl: "/api/markifact" });
new MarkifactClient({ apiKey: "sk_test", dangerouslyAllowBrowser: true });
// @ts-expect-error the key is a string
new MarkifactClient({ apiKey: 42 });
// @ts-expect-error misspelt option (excess property)
new MarkifactClient({ apiKEY: "sk_test" });
// @ts-expect-error headers are strings
new MarkifactClient({ headers: { "x-retries": 3 } });

async function connectFlow(c: MarkifactClient): Promise<string> {
  const params: CreateAuthLinkParams = {
    connectionType: "gads",
    redirectUrl: "https://app.example/cb",
    externalId: "user_42",
    isPrivate: false,
  };
  const link = await c.createAuthLink(params);
  assertType<Equals<typeof link, AuthLink>>();
  assertType<Equals<AuthLink["expiresAt"], number>>();
  const goTo: string = link.url;
  const warnings: string[] = link.warnings;
  use(goTo, warnings);

  const status = await c.getAuthLinkStatus(link.id);
  assertType<Equals<typeof status, AuthLinkStatus>>();
  assertType<Equals<AuthLinkStatus["status"], AuthLinkState>>();
  assertType<Equals<AuthLinkState, "pending" | "connected" | "expired">>();
  // Narrowing on the status string.
  switch (status.status) {
    case "pending":
      break;
    case "connected": {
      const produced: Connection[] = status.connections;
      const id: string | undefined = status.connectionId;
      use(produced, id);
      break;
    }
    case "expired":
      return "expired";
    default: {
      const unreachable: never = status.status;
      use(unreachable);
    }
  }
  // @ts-expect-error "done" is not a status
  use(status.status === "done");

  const waitOptions: WaitForAuthLinkOptions = {
    timeoutMs: 60_000,
    onPoll: (polled: AuthLinkStatus) => use(polled.status),
  };
  const final = await c.waitForAuthLink(link.id, waitOptions);
  if (final.status !== "connected") return final.status;

  const verifyOptions: VerifyRedirectOptions = { authLinkId: link.id, expectedConnectionType: "gads" };
  const connection = await c.verifyRedirect("https://app.example/cb?status=success", verifyOptions);
  assertType<Equals<typeof connection, Connection>>();
  assertType<Equals<Connection["createdAt"], number | undefined>>();
  const byExternalId = await c.getConnection("user_42", { lookupBy: "externalId" });
  assertType<Equals<typeof byExternalId, Connection[]>>();
  const listed: Connection[] = await c.listConnections({ externalId: "user_42", type: "gads" });
  const types: ConnectionType[] = await c.listConnectionTypes();
  const deleted: Connection = await c.deleteConnection(connection.id ?? "");
  use(listed, types, deleted);
  // @ts-expect-error lookupBy is "id" or "externalId"
  await c.getConnection("user_42", { lookupBy: "email" });
  // @ts-expect-error connectionType is required
  await c.createAuthLink({ externalId: "user_42" });
  // @ts-expect-error isPrivate is a boolean
  await c.createAuthLink({ connectionType: "ga4", isPrivate: "yes" });
  return connection.type;
}

// Errors of the client: `status` and `retryable` for retry decisions.
async function withRetryHint(c: MarkifactClient): Promise<number | undefined> {
  try {
    await c.listConnectionTypes();
    return undefined;
  } catch (e: unknown) {
    if (!(e instanceof MarkifactError)) throw e;
    assertType<Equals<typeof e.status, number | undefined>>();
    assertType<Equals<typeof e.retryable, boolean>>();
    assertType<Equals<typeof e.retryAfterMs, number | undefined>>();
    assertType<Equals<typeof e.detail, string | undefined>>();
    if (e.code === "rate_limited" || (e.retryable && e.status !== undefined && e.status >= 500)) {
      return e.retryAfterMs ?? 1_000;
    }
    if (e.code === "unauthorized") use(e.status === 401);
    // @ts-expect-error `status` is a number
    use(e.status === "401");
    return undefined;
  }
}
use(connectFlow(client), withRetryHint(client));

// The browser helpers: openAuthLink inside a click, completeAuthRedirect on the callback page.
async function onConnectClick(createLink: () => Promise<string>): Promise<string | undefined> {
  const options: OpenAuthLinkOptions = { mode: "auto" };
  const result = await openAuthLink(createLink(), options);
  assertType<Equals<typeof result, RedirectResult>>();
  return result.status === "success" ? result.connectionId : result.error;
}
use(onConnectClick);
// @ts-expect-error mode is one of three words
void openAuthLink("https://connect.markifact.com/x", { mode: "tab" });
const completed = completeAuthRedirect({ close: false });
assertType<Equals<typeof completed, RedirectResult | null>>();
if (completed !== null && completed.status === "success") use(completed.connectionType);
