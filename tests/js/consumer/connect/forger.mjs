// Another origin, framed by the app page, claims a success in the helpers' own message format.
const target = new URL(location.href).searchParams.get("target");
window.parent.postMessage(
  { type: "markifact-connect:redirect", href: `${target}?module=callback&status=success&connection_type=ga4&connection_id=forged` },
  "*",
);
