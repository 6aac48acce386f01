// The callback page: completeAuthRedirect, its return value kept for the test.
import { completeAuthRedirect } from "markifact-connect";

window.__completed = completeAuthRedirect();
window.__ready = true;
