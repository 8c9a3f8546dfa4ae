// The nft plan compiled from kept elements (the store's frozen lists) equals a compile from scratch
// after every random change, and the diff read from the kept arrays equals the difference of sets.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment, DesiredState, Network, Workload } from "../../model/types";
import { deepFreeze } from "../../store/doc-cache";
import { compileNft, DEFAULT_COMPILE_OPTIONS, type CompileOptions } from "../nft-compile";
import { diffOps } from "../nft-render";
import type { NftPlan } from "../nft-plan";
import type { NftOp } from "../nft-ops";
import { seededInts as rng } from "../../model/seeded-ints";

const base = { internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const NETS: Network[] = [
  { ...base, id: "n1", name: "a", driver: "bridge", bridge: "pbr-a", subnet4: "10.5.0.0/24", gateway4: "10.5.0.1" },
  { ...base, id: "n2", name: "b", driver: "routed", bridge: "", subnet4: "10.6.0.0/16", gateway4: "10.6.0.1", subnet6: "fd00::/64", gateway6: "fd00::1", routesTo: ["a"] },
  { ...base, id: "n3", name: "c", driver: "routed", bridge: "", subnet4: "10.7.0.0/16", gateway4: "10.7.0.1", internal: true, icc: false, hostAccess: false, gatewayMode: "routed" } as Network,
];

/** Element operations as comparable sets: "add|del set element". */
const elementChanges = (ops: NftOp[]) =>
  ops.flatMap((o) => (o.op === "addElements" ? o.elements.map((e) => `add ${o.set.name} ${e}`) : o.op === "deleteElements" ? o.keys.map((e) => `del ${o.set.name} ${e}`) : [`${o.op}`])).sort();

for (const seed of [1, 2, 3, 4, 5]) {
  test(`kept nft elements = a compile from scratch after each of 250 random changes (seed ${seed})`, () => {
    const r = rng(seed);
    const workloads = new Map<string, Workload>();
    const attachments = new Map<string, Attachment>();
    let networks = NETS;
    let serial = 0;
    let last: NftPlan | undefined;
    let lastWhole: NftPlan | undefined;
    const ports = () =>
      Array.from({ length: r(3) }, () => ({ hostPort: 8000 + r(5), containerPort: 80, protocol: r(2) ? "tcp" : "udp", allowFrom: r(3) === 0 ? [["10.0.0.0/8", "10.1.0.0/16", "192.168.1.0/24"][r(3)]!] : [] }));
    for (let step = 0; step < 250; step++) {
      for (let n = r(3) + 1; n > 0; n--) {
        const op = r(7);
        const ids = [...workloads.keys()];
        const pick = ids[r(ids.length)];
        if (op <= 1 || !pick) {
          const id = `w${serial++}`;
          workloads.set(id, deepFreeze({ id, name: id, labels: {}, netnsMode: "owned", netns: id, command: [], env: {}, restart: "no", routes: [], ports: ports(), state: r(6) === 0 ? "removing" : "running", createdAt: "" } as Workload));
          for (const [i, net] of NETS.entries()) {
            if (r(2) === 0) continue;
            const a: Attachment = { workloadId: id, networkId: net.id, ifname: `eth${i}`, hostIfname: `${net.driver === "routed" ? "pr" : "ve"}-${net.id}-${id}`, mac: "", index: i, ip4: `10.${5 + i}.0.${r(250) + 2}`, ...(net.subnet6 ? { ip6: `fd00::${r(999) + 2}` } : {}) };
            attachments.set(`${id}\t${net.id}`, deepFreeze(a));
          }
        } else if (op === 2) {
          workloads.delete(pick);
          for (const k of [...attachments.keys()]) if (k.startsWith(`${pick}\t`)) attachments.delete(k);
        } else if (op === 3) {
          const w = workloads.get(pick)!;
          workloads.set(pick, deepFreeze({ ...w, ports: ports(), state: r(4) === 0 ? "removing" : "running" } as Workload));
        } else if (op === 4) {
          const k = [...attachments.keys()].find((x) => x.startsWith(`${pick}\t`));
          if (k) attachments.set(k, deepFreeze({ ...attachments.get(k)!, ip4: `10.6.1.${r(250) + 2}` }));
        } else if (op === 5) {
          const k = [...attachments.keys()].find((x) => x.startsWith(`${pick}\t`));
          if (k) attachments.delete(k);
        } else if (r(8) === 0) {
          // A network changes: the workloads' elements are made again.
          networks = networks.map((x) => (x.id === "n3" ? { ...x, hostAccess: !x.hostAccess } : x));
        }
      }
      const sortBy = <T>(m: Map<string, T>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
      const state = { networks, workloads: Object.freeze(sortBy(workloads)), attachments: Object.freeze(sortBy(attachments)), userRules: [], services: [], namespaces: [], policies: [] } as unknown as DesiredState;
      const options: CompileOptions = { ...DEFAULT_COMPILE_OPTIONS, dnsPort: 53 };
      const plan = compileNft(state, undefined, options);
      const whole = compileNft({ ...state, workloads: [...state.workloads], attachments: [...state.attachments] }, undefined, options);
      assert.deepEqual(plan.sets, whole.sets, `seed ${seed} step ${step}`);
      if (last && lastWhole) assert.deepEqual(elementChanges(diffOps(last, plan)!), elementChanges(diffOps(lastWhole, whole)!), `seed ${seed} step ${step}: diff`);
      last = plan;
      lastWhole = whole;
    }
  });
}
