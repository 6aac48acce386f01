// The callback page: completeAuthRedirect, its return value kept for the test. With ?severed in
// the query, the page first loses its opener (as after a cross-origin-isolated consent page), so
// completion has to travel by BroadcastChannel. ?state_param=NAME names the state's parameter.
import { completeAuthRedirect } from "markifact-connect";

const query = new URL(location.href).searchParams;
if (query.has("severed")) window.opener = null;
window.__completed = completeAuthRedirect(query.has("state_param") ? { stateParam: query.get("state_param") } : undefined);
window.__ready = true;
