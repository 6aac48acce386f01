import type { RedirectResult } from "./markifact_connect.js";

/**
 * What `openAuthLink` opens: the auth link's URL, or your server's answer carrying it with the
 * flow's state, e.g. `{ authLinkId, url, state }` from your "create a link" route (other members
 * are ignored).
 */
export type ConsentLink = string | { url: string; state?: string | null };

/** Options of `openAuthLink`. */
export interface OpenAuthLinkOptions {
  /**
   * `"popup"` opens Markifact's consent page in a popup (a blocked popup rejects with
   * `popup_blocked`); `"redirect"` navigates this page there; `"auto"` (the default) uses a popup
   * on desktop browsers and falls back to a redirect when it is blocked or on phones, tablets and
   * in-app browsers.
   */
  mode?: "popup" | "redirect" | "auto";
  /**
   * Ends the wait (and closes the popup) with an `aborted` error. Already aborted, the call
   * rejects at once and leaves a pending flow alone.
   */
  signal?: { readonly aborted: boolean; addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void };
  /**
   * The origin of your callback page (default: this page's origin); messages from elsewhere are
   * ignored. Read as a URL's origin (`"https://App.example.com/"` is `https://app.example.com`);
   * one that is not a URL is refused with `invalid_argument` (field `callbackOrigin`).
   */
  callbackOrigin?: string;
  /**
   * The flow's state, when `link` resolves to a bare URL (a `state` in `link`'s value wins). The
   * one-time value (at least 16 characters; 128 random bits) your server put on the link's
   * `redirectUrl` and bound to the user's session; your callback page's URL carries it back.
   * With it, the flow takes only a result carrying it: from its popup, or over a same-origin
   * `BroadcastChannel` (how the result still arrives when a Cross-Origin-Opener-Policy cuts the
   * popup off from this page). Without it, only a message from the popup this call opened
   * counts, and a popup cut off by a COOP ends the flow with `aborted`. Always pass it.
   */
  state?: string | null;
}

/**
 * Opens Markifact's consent page and resolves with the redirect result that your callback page
 * (which calls `completeAuthRedirect()`) reports back. Call it inside the user's click: the
 * window opens at once and is navigated when `link` (e.g. your server's answer to "create a
 * link", `{ url, state }`) resolves. When `link` rejects, the popup is closed and the promise
 * rejects with that error if it is a `MarkifactError` (the same object), or else with
 * `invalid_argument` (field `url`) quoting its message.
 *
 * A result for another flow (another state, another window, an earlier flow) is ignored, not an
 * error. The promise rejects with `aborted` when the signal aborts, a newer `openAuthLink` call
 * replaces this one, or the popup is closed before a result came (checked twice a second, with
 * two seconds' grace for a last message; at once while it is still blank, waiting for `link`). A
 * popup on its way to the consent page that reads closed before a page was ever seen in it is
 * taken for one a COOP cut off with the user still in it: with a state the wait goes on (the
 * result can still come over the channel) until a result or the signal.
 *
 * In a full-page redirect the promise never settles; the callback page shows the result. The
 * result is what the redirect claims: confirm it with your server (`verifyRedirect`) before
 * trusting it.
 */
export declare function openAuthLink(
  link: ConsentLink | PromiseLike<ConsentLink>,
  options?: OpenAuthLinkOptions,
): Promise<RedirectResult>;

/** Options of `completeAuthRedirect`. */
export interface CompleteAuthRedirectOptions {
  /** The origin of the opening page (default: this page's origin). */
  targetOrigin?: string;
  /** Close this window when it is the popup (default `true`). */
  close?: boolean;
  /** The query parameter of this page's URL that carries the flow's state (default `"state"`). */
  stateParam?: string;
}

/**
 * For the callback page: parses `location`, removes Markifact's parameters and the state from
 * the address bar (`history.replaceState`), and reports the URL with its state (the `stateParam`
 * query parameter, when it appears exactly once) to the opening page: by `postMessage` to
 * `window.opener` (with `targetOrigin`), and by a same-origin `BroadcastChannel`. Then closes the
 * popup: at once when it has the helpers' window name, else once the opening page acknowledges
 * the result over the channel (a popup a COOP cut off); a full-page redirect stays, even in a tab
 * that has an opener.
 * Returns the result (the state among its `appParams`), or `null` when the URL carries no
 * redirect (a refresh or a back navigation: reported once only).
 */
export declare function completeAuthRedirect(options?: CompleteAuthRedirectOptions): RedirectResult | null;
