// The home page (a server component): the connect form, and the connections this session
// verified (from the server's store, never from a URL).
import { cookies } from "next/headers";
import { appOrigin } from "@/lib/config";
import { cookieName } from "@/lib/session";
import { connectionsOf, getSession } from "@/lib/store";
import { ConnectForm } from "./connect-form";

export default async function Home() {
  const jar = await cookies();
  let connections: ReturnType<typeof connectionsOf> = [];
  try {
    const sessionId = jar.get(cookieName(appOrigin().secure))?.value;
    const session = sessionId ? getSession(sessionId) : undefined;
    if (session) connections = connectionsOf(session.id);
  } catch {
    // Misconfigured (APP_ORIGIN): the form still renders; its request will say what is wrong.
  }
  return (
    <>
      <h1>Connect your ad accounts</h1>
      <p>
        Pick an account type and connect it through Markifact. You will come back to this app, which
        checks with Markifact that the connection really happened before it counts it.
      </p>
      <ConnectForm />
      <h2>Your connections</h2>
      {connections.length === 0 ? (
        <p data-testid="connections-empty">None yet.</p>
      ) : (
        <ul data-testid="connections">
          {connections.map((connection) => (
            <li key={connection.id} data-connection-id={connection.id}>
              <code>{connection.type}</code> {connection.displayName ?? ""} <small>({connection.id})</small>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
