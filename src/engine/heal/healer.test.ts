import { test } from "node:test";
import assert from "node:assert/strict";
import type { DesiredState, Network, Workload, Attachment } from "../../model/types";
import type { EngineContext } from "../context";
import type { KernelEvent } from "../../kernel/kernel-events";
import { Healer } from "./healer";

const net: Network = { id: "n1", name: "front", driver: "bridge", bridge: "pbr-n1", subnet4: "10.1.0.0/24", gateway4: "10.1.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const w: Workload = { id: "a", name: "a", labels: {}, netnsMode: "owned", netns: "p-a", command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" };
const a: Attachment = { workloadId: "a", networkId: "n1", ifname: "eth0", hostIfname: "pv-a", mac: "02:00:00:00:00:01", index: 0 };
const state: DesiredState = { networks: [net], workloads: [w], attachments: [a], userRules: [] };

test("a change of ours caught half-way by the debounce (a veth made, not yet up) is judged once it has ended: no repair, nothing read", async () => {
  const reads: string[] = [];
  const ctx = {
    config: { prefix: "p" },
    kernel: {
      own: { settled: async () => undefined, isOwn: () => true },
      links: async () => (reads.push("links"), []),
      addresses: async () => (reads.push("addresses"), []),
      netnsNames: async () => (reads.push("netnsNames"), new Set()),
      netnsExists: async () => true,
      ipBatch: async () => void reads.push("ipBatch"),
    },
    exec: { run: async (cmd: string, args: string[]) => (reads.push(`${cmd} ${args.join(" ")}`), { stdout: "[]", stderr: "" }) },
    store: { state: () => state, networks: () => state.networks, workloads: () => state.workloads, attachmentsOf: () => [a] },
  } as unknown as EngineContext;
  // The change under way holds the engine's queue until it ends.
  let endChange!: () => void;
  const changeEnded = new Promise<void>((r) => (endChange = r));
  const repaired: string[][] = [];
  const healer = new Healer(ctx, (op) => changeEnded.then(op), (what) => repaired.push(what));
  const emit = (e: KernelEvent) => (healer as unknown as { onEvent(e: KernelEvent): void }).onEvent(e);
  emit({ kind: "link", op: "new", name: "pv-a", master: 0, up: false });
  // Past the debounce: the healer waits for its turn in the queue.
  await new Promise((r) => setTimeout(r, 60));
  emit({ kind: "link", op: "new", name: "pv-a", master: 7, up: true });
  endChange();
  await new Promise((r) => setTimeout(r, 60));
  healer.stop();
  assert.deepEqual(repaired, []);
  assert.deepEqual(reads, [], "nothing read: the veth ended up in its bridge");
  assert.equal(healer.counters.fullLinkDumps, 0);
});
