// Markifact's consent page, played by another origin: Approve sends this window to ?next (the
// app's callback URL), as Markifact's redirect would.
const next = new URL(location.href).searchParams.get("next");
document.getElementById("approve").addEventListener("click", () => location.assign(next));
window.__ready = true;
