import type { RedirectResult } from "./api.js";

/** Options of `openAuthLink`. */
export interface OpenAuthLinkOptions {
  /**
   * `"popup"` opens Markifact's consent page in a popup (a blocked popup rejects with
   * `popup_blocked`); `"redirect"` navigates this page there; `"auto"` (the default) uses a popup
   * on desktop browsers and falls back to a redirect when it is blocked or on phones, tablets and
   * in-app browsers.
   */
  mode?: "popup" | "redirect" | "auto";
  /** Ends the wait (and closes the popup) with an `aborted` error. */
  signal?: { readonly aborted: boolean; addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void };
  /** The origin of your callback page (default: this page's origin); messages from elsewhere are ignored. */
  callbackOrigin?: string;
}

/**
 * Opens Markifact's consent page and resolves with the redirect result that your callback page
 * (which calls `completeAuthRedirect()`) reports back. Call it inside the user's click: the
 * window opens at once and is navigated when `urlOrPromise` (e.g. your server's
 * `createAuthLink` answer) resolves. In a full-page redirect the promise never settles; the
 * callback page shows the result. The result is what the redirect claims; confirm it
 * server-side (`verifyRedirect`) before trusting it.
 */
export declare function openAuthLink(
  urlOrPromise: string | PromiseLike<string>,
  options?: OpenAuthLinkOptions,
): Promise<RedirectResult>;

/** Options of `completeAuthRedirect`. */
export interface CompleteAuthRedirectOptions {
  /** The origin of the opening page (default: this page's origin). */
  targetOrigin?: string;
  /** Close this window when it is the popup (default `true`). */
  close?: boolean;
}

/**
 * For the callback page: parses `location`, removes Markifact's parameters from the address bar
 * (`history.replaceState`), reports the result to the opening page (`postMessage`, with an
 * origin, and a same-origin `BroadcastChannel`) and closes the popup. Returns the result, or
 * `null` when the URL carries no redirect (a refresh or a back navigation: reported once only).
 */
export declare function completeAuthRedirect(options?: CompleteAuthRedirectOptions): RedirectResult | null;
