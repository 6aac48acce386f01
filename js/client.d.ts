// `MarkifactClient`'s declaration; the types it uses are generated from the Rust types
// (markifact_connect.d.ts, written by wasm-bindgen and ts-rs).
import type {
  AuthLink,
  AuthLinkStatus,
  CallOptions,
  Connection,
  ConnectionType,
  CreateAuthLinkParams,
  GetConnectionOptions,
  ListConnectionsOptions,
  MarkifactClientOptions,
  VerifyRedirectOptions,
  WaitForAuthLinkOptions,
} from "./markifact_connect.js";

/**
 * A client for the Markifact Connections API. Construct it server-side with the secret API key,
 * or anywhere with `baseUrl` pointing at your own proxy. Every method reports every failure,
 * argument errors included, as a rejected `MarkifactError`.
 */
export declare class MarkifactClient {
  /**
   * Checks the options; throws `invalid_request`, or `browser_key_refused` for an `apiKey` in
   * a browser without `dangerouslyAllowBrowser`.
   */
  constructor(options?: MarkifactClientOptions | null);
  /** Creates an auth link, after validating every input locally. */
  createAuthLink(params: CreateAuthLinkParams, options?: CallOptions | null): Promise<AuthLink>;
  /** Reads an auth link's status. */
  getAuthLinkStatus(authLinkId: string, options?: CallOptions | null): Promise<AuthLinkStatus>;
  /** Polls an auth link until it is `connected` or `expired`, with backoff and jitter. */
  waitForAuthLink(authLinkId: string, options?: WaitForAuthLinkOptions | null): Promise<AuthLinkStatus>;
  /** Lists the connections the key can see, optionally filtered (AND). */
  listConnections(options?: ListConnectionsOptions | null): Promise<Connection[]>;
  /** Looks connections up by Markifact id or by your external id; always an array. */
  getConnection(idOrExternalId: string, options?: GetConnectionOptions | null): Promise<Connection[]>;
  /** Deletes a connection by Markifact id (never retried); resolves with the deleted connection. */
  deleteConnection(connectionId: string, options?: CallOptions | null): Promise<Connection>;
  /** The connection types Markifact offers. */
  listConnectionTypes(options?: CallOptions | null): Promise<ConnectionType[]>;
  /**
   * The server-side truth check of a redirect: parses it, then confirms with the API that the
   * link is connected and that connection, type and external id all match. Resolves with the
   * verified connection; rejects with `verification_failed` (or `connection_failed` for an
   * error redirect).
   */
  verifyRedirect(url: string, options?: VerifyRedirectOptions | null): Promise<Connection>;
}
