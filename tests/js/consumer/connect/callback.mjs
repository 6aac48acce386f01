// The callback page: completeAuthRedirect, its return value kept for the test. With ?severed in
// the query, the page first loses its opener (as after a cross-origin-isolated consent page), so
// completion has to travel by BroadcastChannel.
import { completeAuthRedirect } from "markifact-connect";

if (new URL(location.href).searchParams.has("severed")) window.opener = null;
window.__completed = completeAuthRedirect();
window.__ready = true;
