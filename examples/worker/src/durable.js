// The Durable Objects: what must be strongly consistent. Each object runs one method at a time
// (and SQLite calls are synchronous, with no await between a read and the write that depends on
// it), so "read then delete" is atomic: two requests can never both take the same state.
//
//   OneTimeState     one per state (named by it): the pending callback of one auth link
//   UserConnections  one per user (named by the user id): the connections credited to that user
//   RateLimiter      one per limited key ("session:<user>", "ip:<address>"): recent link creations
import { DurableObject } from "cloudflare:workers";

/** One auth link's callback: put once at link creation, taken at most once, gone at expiry. */
export class OneTimeState extends DurableObject {
  #table() {
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 1), record TEXT NOT NULL, expires_at INTEGER NOT NULL)",
    );
  }

  #read() {
    this.#table();
    const row = this.ctx.storage.sql.exec("SELECT record, expires_at FROM state WHERE id = 1").toArray()[0];
    if (!row || row.expires_at <= Date.now()) return null;
    return JSON.parse(row.record);
  }

  /** Stores the record until `expiresAt` (ms). A state is random: an existing one is never replaced. */
  async put(record, expiresAt) {
    this.#table();
    const existing = this.ctx.storage.sql.exec("SELECT expires_at FROM state WHERE id = 1").toArray()[0];
    if (existing && existing.expires_at > Date.now()) throw new Error("state already in use");
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO state (id, record, expires_at) VALUES (1, ?, ?)",
      JSON.stringify(record),
      expiresAt,
    );
    await this.ctx.storage.setAlarm(expiresAt);
  }

  /** The record while the state is unused and unexpired, else null. Does not use it up. */
  peek() {
    return this.#read();
  }

  /** The record, deleted in the same step; null when it is gone (used, expired, never issued). */
  take() {
    const record = this.#read();
    this.ctx.storage.sql.exec("DELETE FROM state");
    return record;
  }

  /** At expiry (or after use, once the alarm fires): forget everything. */
  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}

/** The connections credited to one user: only a callback in that user's own session adds one. */
export class UserConnections extends DurableObject {
  #table() {
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS connections (id TEXT PRIMARY KEY, record TEXT NOT NULL, credited_at INTEGER NOT NULL)",
    );
  }

  credit(connection) {
    this.#table();
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO connections (id, record, credited_at) VALUES (?, ?, ?)",
      connection.id,
      JSON.stringify(connection),
      Date.now(),
    );
  }

  /** Credited connections, oldest first. */
  list() {
    this.#table();
    return this.ctx.storage.sql
      .exec("SELECT record FROM connections ORDER BY credited_at, id")
      .toArray()
      .map((row) => JSON.parse(row.record));
  }

  has(connectionId) {
    this.#table();
    return this.ctx.storage.sql.exec("SELECT 1 FROM connections WHERE id = ?", connectionId).toArray().length > 0;
  }

  remove(connectionId) {
    this.#table();
    this.ctx.storage.sql.exec("DELETE FROM connections WHERE id = ?", connectionId);
  }
}

/** A sliding-window log: at most `limit` hits in any `windowMs`. */
export class RateLimiter extends DurableObject {
  #table() {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (at INTEGER NOT NULL)");
  }

  /** Counts one hit when allowed: `{ ok: true }`, or `{ ok: false, retryAfterMs }` (nothing counted). */
  async hit(limit, windowMs) {
    this.#table();
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM hits WHERE at <= ?", now - windowMs);
    const recent = sql.exec("SELECT at FROM hits ORDER BY at DESC LIMIT ?", limit).toArray();
    if (recent.length >= limit) {
      // The hit that leaves the window next is the limit-th most recent one.
      const frees = recent[limit - 1].at + windowMs;
      return { ok: false, retryAfterMs: Math.max(1, frees - now) };
    }
    sql.exec("INSERT INTO hits (at) VALUES (?)", now);
    // Once the window has passed since the last hit, nothing here matters any more.
    await this.ctx.storage.setAlarm(now + windowMs);
    return { ok: true, at: now };
  }

  /** Takes back one hit counted at `at` (the request was refused by another limit). */
  unhit(at) {
    this.#table();
    this.ctx.storage.sql.exec("DELETE FROM hits WHERE rowid = (SELECT rowid FROM hits WHERE at = ? LIMIT 1)", at);
  }

  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}
