// What the app remembers: sessions, pending connection attempts (one-time states) and the
// connections it verified. IN MEMORY, for the example only: it is lost on restart and not
// shared between server instances. In production keep the same records in your database or in
// Redis (a state must be taken atomically: e.g. `DELETE ... RETURNING`, or Redis `GETDEL`/`SET NX`),
// with the 24-hour expiry of an auth link.
import type { Connection } from "markifact-connect";

/** An auth link lives 24 hours (Markifact's rule); so does the state that waits for it. */
export const STATE_TTL_MS = 24 * 3600 * 1000;
const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
// An in-memory store must not grow without bound: past these, the oldest entries go first.
const MAX_SESSIONS = 10_000;
const MAX_STATES = 10_000;

export interface Session {
  id: string;
  /** The user's id as Markifact sees it (`external_id`): opaque, no PII, stable for the user. */
  externalId: string;
  createdAt: number;
}

export interface PendingConnect {
  sessionId: string;
  authLinkId: string;
  /** Exactly the redirect_url sent to Markifact: the callback must extend it. */
  redirectUrl: string;
  connectionType: string;
  externalId: string;
  createdAt: number;
}

export interface VerifiedConnection extends Connection {
  authLinkId: string;
  verifiedAt: number;
}

interface Store {
  sessions: Map<string, Session>;
  states: Map<string, PendingConnect>;
  /** States whose verification is running: a second request for one waits its turn (refused). */
  busy: Set<string>;
  connections: Map<string, VerifiedConnection[]>;
}

// On globalThis: Next.js may load this module once per route bundle; one process, one store.
const KEY = Symbol.for("markifact-connect-nextjs-example.store");
const global = globalThis as typeof globalThis & { [KEY]?: Store };
const store: Store = (global[KEY] ??= {
  sessions: new Map(),
  states: new Map(),
  busy: new Set(),
  connections: new Map(),
});

/** `map`'s entry for `key` while it is younger than `ttlMs`; an expired one is dropped. */
function fresh<V extends { createdAt: number }>(map: Map<string, V>, key: string, ttlMs: number): V | undefined {
  const value = map.get(key);
  if (value && Date.now() - value.createdAt > ttlMs) {
    map.delete(key);
    return undefined;
  }
  return value;
}

export function getSession(id: string): Session | undefined {
  return fresh(store.sessions, id, SESSION_TTL_MS);
}

export function putSession(session: Session): void {
  bound(store.sessions, MAX_SESSIONS);
  store.sessions.set(session.id, session);
}

export function putState(state: string, pending: PendingConnect): void {
  bound(store.states, MAX_STATES);
  store.states.set(state, pending);
}

/** The pending attempt of `state`, unless unknown or expired. */
export function peekState(state: string): PendingConnect | undefined {
  return fresh(store.states, state, STATE_TTL_MS);
}

/**
 * Takes `state` for one verification: false when another request holds it. Call `release`
 * when the verification did not succeed (the state stays for the genuine redirect), `consume`
 * when it did (the state is gone: a replay is refused).
 */
export function claimState(state: string): boolean {
  if (store.busy.has(state)) return false;
  store.busy.add(state);
  return true;
}

export function releaseState(state: string): void {
  store.busy.delete(state);
}

export function consumeState(state: string): void {
  store.states.delete(state);
  store.busy.delete(state);
}

export function addConnection(sessionId: string, connection: VerifiedConnection): void {
  const list = (store.connections.get(sessionId) ?? []).filter((c) => c.id !== connection.id);
  list.push(connection);
  store.connections.set(sessionId, list);
}

export function connectionsOf(sessionId: string): VerifiedConnection[] {
  return store.connections.get(sessionId) ?? [];
}

function bound<V>(map: Map<string, V>, max: number): void {
  // Maps iterate in insertion order: the first keys are the oldest.
  for (const key of map.keys()) {
    if (map.size < max) break;
    map.delete(key);
  }
}
