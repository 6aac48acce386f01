// Another origin. Framed by the app page (?target=), it claims a success in the helpers' own
// message format. As a top-level page (?open=), its button opens the app's callback page with
// forged parameters in a window of its own: that page is on the app's origin and reports what
// its URL says, by postMessage (to this page, its opener: dropped) and by BroadcastChannel
// (to every page of the app's origin in this browser).
const query = new URL(location.href).searchParams;
const target = query.get("target");
if (target) {
  window.parent.postMessage(
    { type: "markifact-connect:redirect", href: `${target}?module=callback&status=success&connection_type=ga4&connection_id=forged` },
    "*",
  );
}
document.getElementById("open").addEventListener("click", () => window.open(query.get("open"), "_blank"));
window.__ready = true;
