// The connection types this app offers: ids from Markifact's documentation. The full list is
// `client.listConnectionTypes()` (GET /v1/connections/types). Shared by the page and the server.
export const CONNECTION_TYPES = [
  { id: "ga4", name: "Google Analytics 4" },
  { id: "gads", name: "Google Ads" },
  { id: "meta_ads", name: "Meta Ads" },
] as const;

export type ConnectionTypeId = (typeof CONNECTION_TYPES)[number]["id"];

export function isConnectionType(value: unknown): value is ConnectionTypeId {
  return CONNECTION_TYPES.some((type) => type.id === value);
}
