// Deliberately wrong: types.test.mjs asserts that tsc REJECTS this file, with these errors, so
// the types test can fail. Each line marked WRONG must be reported.
import { parseRedirect, MarkifactError } from "markifact-connect";

const result = parseRedirect("https://app.example/cb?status=success&connection_type=ga4&connection_id=c_1");
export const id: string = result.connectionId; // WRONG: TS2339, no narrowing
export const bad = parseRedirect(42); // WRONG: TS2345, a number
export const code: MarkifactError["code"] = "not_a_code"; // WRONG: TS2322, not an ErrorCode
