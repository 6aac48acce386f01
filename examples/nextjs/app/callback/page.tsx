"use client";
// Where Markifact sends the browser back: /callback?state=…&status=…&connection_type=…&….
// `next build` prerenders this page (it has no server data); in the browser it reads the redirect
// with `parseRedirect` from the small `markifact-connect/callback` entry and shows what it claims,
// then asks the server to verify it (POST /api/verify). "Connected" is shown only once the server
// has confirmed the connection with Markifact: the URL alone proves nothing.
import { useEffect, useState } from "react";
import { MarkifactError, parseRedirect, type RedirectResult } from "markifact-connect/callback";

type Parsed =
  | { state: "waiting" }
  | { state: "parsed"; result: RedirectResult }
  | { state: "invalid"; code: string; message: string };

type Verdict =
  | { state: "idle" }
  | { state: "verifying" }
  | { state: "connected"; connection: { id: string; type: string; displayName: string | null } }
  | { state: "failed"; code: string; message: string };

type VerifyAnswer =
  | { verified: true; connection: { id: string; type: string; displayName: string | null } }
  | { verified: false; error: { code: string; message: string } }
  | { error: { code: string; message: string } };

// One verification per address, even when React runs the effect twice (Strict Mode in `next dev`):
// the server takes the state once, a second request would be refused.
const verifications = new Map<string, Promise<Verdict>>();

function verifyOnce(href: string): Promise<Verdict> {
  let verification = verifications.get(href);
  if (!verification) {
    verification = verify(href);
    verifications.set(href, verification);
  }
  return verification;
}

async function verify(href: string): Promise<Verdict> {
  let response: Response;
  let answer: VerifyAnswer;
  try {
    response = await fetch("/api/verify", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: href }),
    });
    answer = (await response.json()) as VerifyAnswer;
  } catch {
    return { state: "failed", code: "network", message: "The server could not be reached; reload to try again." };
  }
  if (response.ok && "verified" in answer && answer.verified) {
    return { state: "connected", connection: answer.connection };
  }
  const error = "error" in answer && answer.error ? answer.error : { code: `http_${response.status}`, message: "" };
  return { state: "failed", code: error.code, message: error.message };
}

export default function CallbackPage() {
  const [parsed, setParsed] = useState<Parsed>({ state: "waiting" });
  const [verdict, setVerdict] = useState<Verdict>({ state: "idle" });

  useEffect(() => {
    const href = window.location.href;
    let result: RedirectResult;
    try {
      result = parseRedirect(href);
    } catch (error) {
      if (!(error instanceof MarkifactError)) throw error;
      // Not a Markifact redirect (edited, truncated, or a direct visit): nothing to verify.
      setParsed({ state: "invalid", code: error.code, message: error.message });
      return;
    }
    setParsed({ state: "parsed", result });
    setVerdict({ state: "verifying" });
    let current = true;
    verifyOnce(href).then((outcome) => {
      if (!current) return;
      setVerdict(outcome);
      // Drop the one-time state and the external id from the address bar (and so from history).
      if (outcome.state === "connected") window.history.replaceState(null, "", "/callback");
    });
    return () => {
      current = false;
    };
  }, []);

  return (
    <>
      <h1>Connecting your account</h1>
      <section data-testid="parse" data-state={parsed.state} data-status={parsed.state === "parsed" ? parsed.result.status : undefined}>
        {parsed.state === "waiting" && <p>Reading the redirect…</p>}
        {parsed.state === "invalid" && (
          <p className="error">
            This is not a valid Markifact redirect: <code data-testid="parse-code">{parsed.code}</code> {parsed.message}
          </p>
        )}
        {parsed.state === "parsed" && parsed.result.status === "success" && (
          <p>
            Markifact says the <code data-testid="connection-type">{parsed.result.connectionType}</code> account was
            connected as <code data-testid="connection-id">{parsed.result.connectionId}</code>.
          </p>
        )}
        {parsed.state === "parsed" && parsed.result.status === "error" && (
          <p className="error">
            Markifact says the connection failed
            {parsed.result.connectionType ? <> (<code>{parsed.result.connectionType}</code>)</> : null}:{" "}
            <span data-testid="redirect-error">{parsed.result.error || "no reason given"}</span>
          </p>
        )}
      </section>
      <section data-testid="verdict" data-state={verdict.state} data-code={verdict.state === "failed" ? verdict.code : undefined}>
        {verdict.state === "verifying" && <p>Checking with the server…</p>}
        {verdict.state === "connected" && (
          <p className="ok">
            <strong>Connected</strong>: <code>{verdict.connection.type}</code>{" "}
            {verdict.connection.displayName ?? ""} ({verdict.connection.id}), verified with Markifact.
          </p>
        )}
        {verdict.state === "failed" && (
          <p className="error">
            Not connected: <code>{verdict.code}</code> {verdict.message}
          </p>
        )}
      </section>
      <p>
        <a href="/">Back to the app</a>
      </p>
    </>
  );
}
