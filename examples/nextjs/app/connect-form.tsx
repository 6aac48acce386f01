"use client";
// The connect button: asks the server for an auth link (POST /api/connect), then sends the
// browser to Markifact's consent page. Markifact brings it back to /callback.
import { useState, type FormEvent } from "react";
import { CONNECTION_TYPES, type ConnectionTypeId } from "@/lib/connection-types";

type ApiError = { code: string; message: string };

export function ConnectForm() {
  const [connectionType, setConnectionType] = useState<ConnectionTypeId>("ga4");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function connect(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const response = await fetch("/api/connect", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ connectionType }),
      });
      const body = (await response.json()) as { url?: string; error?: ApiError };
      if (!response.ok || typeof body.url !== "string") {
        throw body.error ?? { code: `http_${response.status}`, message: "The server could not create the link." };
      }
      const target = new URL(body.url);
      // Only ever navigate to http(s), whatever the response says.
      if (target.protocol !== "https:" && target.protocol !== "http:") {
        throw { code: "invalid_link", message: "The server answered an unusable link." };
      }
      window.location.assign(target.href);
    } catch (caught) {
      const apiError = caught as Partial<ApiError>;
      setError({
        code: typeof apiError.code === "string" ? apiError.code : "network",
        message: typeof apiError.message === "string" ? apiError.message : "The server could not be reached.",
      });
      setBusy(false);
    }
  }

  return (
    <form onSubmit={connect} data-testid="connect-form">
      <label>
        Account type{" "}
        <select
          name="connectionType"
          value={connectionType}
          onChange={(event) => setConnectionType(event.target.value as ConnectionTypeId)}
          disabled={busy}
        >
          {CONNECTION_TYPES.map((type) => (
            <option key={type.id} value={type.id}>
              {type.name}
            </option>
          ))}
        </select>
      </label>{" "}
      <button type="submit" disabled={busy}>
        {busy ? "Opening Markifact…" : "Connect"}
      </button>
      {error && (
        <p className="error" role="alert" data-testid="connect-error" data-code={error.code}>
          Could not start the connection: {error.message} (<code>{error.code}</code>)
        </p>
      )}
    </form>
  );
}
