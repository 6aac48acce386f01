// Loads opener.mjs or callback.mjs, as the page's query says (one HTML file for both roles).
const role = new URL(location.href).searchParams.get("module");
if (role === "opener" || role === "callback") await import(`/${role}.mjs`);
