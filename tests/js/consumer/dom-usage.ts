// The client's options with the platform's own types (DOM lib): the global fetch, a wrapper of
// it, and real AbortSignals all fit, with no cast.
import { MarkifactClient, type AbortSignalLike, type FetchInit } from "markifact-connect";

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

assertType<Equals<AbortSignalLike, AbortSignal>>();
const init: RequestInit = {} as FetchInit;

const plain = new MarkifactClient({ baseUrl: "/api/markifact", fetch: globalThis.fetch });
const wrapped = new MarkifactClient({
  baseUrl: "/api/markifact",
  fetch: (url, options) => {
    const requestInit: RequestInit = options;
    return fetch(url, requestInit);
  },
});

export async function cancellable(): Promise<number> {
  const controller = new AbortController();
  const types = await plain.listConnectionTypes({ signal: controller.signal });
  const found = await wrapped.listConnections({ signal: AbortSignal.timeout(1_000) });
  return types.length + found.length + Object.keys(init).length;
}
