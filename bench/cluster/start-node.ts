// A cluster node for the benches: its host namespace plugged into the underlay, then its pontond.
// The harness waits 10 s for a daemon; on the loaded shared machine one may need longer — then
// the same daemon is waited for (never a second one started beside it).
import { TestHost, eventually } from "../../test/integration/harness";
import type { Underlay } from "../../test/integration/underlay";

export async function startNode(h: TestHost, ul: Underlay, address: string): Promise<void> {
  await patiently(h, () => h.setUp({ beforeDaemon: () => ul.plug(h.hostNs, "ul0", address).then(() => undefined) }));
}

/** Start the node's pontond again (after a kill), as patiently. */
export function restartNode(h: TestHost): Promise<void> {
  return patiently(h, () => h.startDaemon());
}

async function patiently(h: TestHost, start: () => Promise<unknown>): Promise<void> {
  try {
    await start();
  } catch (e) {
    if (!(await eventually(() => h.client.request("GET", "/v1/info").then(() => true, () => false), 120_000, 500))) throw e;
  }
}
