// The etcd connection: one client per daemon; failures become STORE_UNAVAILABLE, naming the operation.
import { Etcd3 } from "etcd3";
import { EngineError } from "../errors";

export function connectEtcd(endpoints: string[]): Etcd3 {
  // Short dial and call deadlines: a change is refused quickly when etcd is away, never left pending.
  return new Etcd3({ hosts: endpoints, dialTimeout: 3000, defaultCallOptions: (c) => (c.isStream ? {} : { deadline: Date.now() + 5000 }) });
}

/** Run an etcd call; any transport or server failure becomes STORE_UNAVAILABLE for `what`. */
export async function etcdCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError("STORE_UNAVAILABLE", `${what}: etcd did not answer (${(e as Error).message})`);
  }
}
