import { test } from "node:test";
import assert from "node:assert/strict";
import type { Service, ServiceRuntime } from "../../model/services/service";
import type { Attachment, DesiredState, Workload } from "../../model/types";
import { ServiceCompiler } from "./service-compiler";

const net = { id: "n1", name: "web", driver: "bridge" as const, bridge: "pbr-n1", subnet4: "172.30.0.0/24", gateway4: "172.30.0.1", subnet6: "fd70::/64", gateway6: "fd70::1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const APPS = ["a", "b", "c"];
const SCHEDULERS: Service["scheduler"][] = ["rr", "lc", "wrr", "maglev"];

/** A small deterministic generator (the sequence must be the same on every run). */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

function workload(i: number, app: string): Workload {
  return { id: `w${i}`, name: `w${i}`, labels: { app, tier: i % 2 ? "x" : "y" }, netnsMode: "owned", netns: "x", command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" };
}
const attachment = (i: number): Attachment => ({ workloadId: `w${i}`, networkId: "n1", ifname: "eth0", hostIfname: `pv-${i}`, mac: "", ip4: `172.30.0.${i + 2}`, ip6: `fd70::${i + 2}`, index: 0 });

function service(i: number, r: () => number): Service {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const dual = r() < 0.3;
  const selector: Record<string, string> = r() < 0.2 ? {} : { app: pick(APPS), ...(r() < 0.3 ? { tier: pick(["x", "y"]) } : {}) };
  return {
    id: (0x1000 + i).toString(16).padStart(16, "0"),
    name: `s${String(i).padStart(4, "0")}`,
    vip: `10.96.1.${i + 1}`,
    ...(dual ? { vips: [`10.96.1.${i + 1}`, `fd00:10:96::${(i + 1).toString(16)}`], ipFamilyPolicy: "PreferDualStack" as const } : {}),
    ...(r() < 0.1 ? { affinityTimeoutS: 60 } : {}),
    ports: [{ port: 80 + Math.floor(r() * 3), targetPort: 8080, protocol: r() < 0.8 ? "tcp" : "udp" }],
    selector,
    scheduler: pick(SCHEDULERS),
    weights: r() < 0.3 ? { w1: 3 } : {},
    externalIps: [],
    createdAt: "",
  };
}

test("the incremental services compile equals a from-scratch compile over a sequence of changes, and unchanged services keep their fragment", () => {
  const r = rng(7);
  const inc = new ServiceCompiler();
  let services: Service[] = [];
  const workloads = new Map<number, Workload>();
  let runtime: ServiceRuntime = { unhealthy: new Set(), connections: new Map() };
  let nextService = 0;
  let nextWorkload = 0;
  for (let i = 0; i < 8; i++) workloads.set(nextWorkload, workload(nextWorkload++, APPS[i % 3]!));
  for (let i = 0; i < 40; i++) services.push(service(nextService++, r));
  let before: { services: Service[]; fragments: ReturnType<ServiceCompiler["compile"]> } | undefined;
  for (let step = 0; step < 400; step++) {
    // The memo keys on a service's lc/wlc counts, not on whether its endpoints use them.
    let recounted: string | undefined;
    const op = Math.floor(r() * 8);
    const at = Math.floor(r() * services.length);
    // Like the store: the same (sorted) list object until a service is written.
    if (op === 0) services = [...services, ...[...Array(1 + Math.floor(r() * 2)).keys()].map(() => service(nextService++, r))];
    else if (op === 1 && services.length > 3) {
      const n = 1 + Math.floor(r() * 3);
      services = services.filter((_, i) => i < at || i >= at + n);
    }
    else if (op === 2 && services.length) services = services.map((s, i) => (i === at ? { ...service(Number.parseInt(s.id, 16) - 0x1000, r), id: s.id, name: s.name } : s));
    else if (op === 3 && workloads.size) {
      const [k, w] = [...workloads][Math.floor(r() * workloads.size)]!;
      workloads.set(k, { ...w, labels: { ...w.labels, app: APPS[Math.floor(r() * 3)]! } });
    } else if (op === 4) workloads.set(nextWorkload, workload(nextWorkload++, APPS[Math.floor(r() * 3)]!));
    else if (op === 5 && workloads.size > 1) workloads.delete([...workloads.keys()][Math.floor(r() * workloads.size)]!);
    else if (op === 6 && services.length) {
      const entry = `${services[at]!.id}/w${Math.floor(r() * nextWorkload)}`;
      const unhealthy = new Set(runtime.unhealthy);
      if (!unhealthy.delete(entry)) unhealthy.add(entry);
      runtime = { ...runtime, unhealthy };
    } else if (op === 7 && services.length) {
      const connections = new Map(runtime.connections);
      recounted = services[at]!.id;
      connections.set(recounted, new Map([[`172.30.0.${Math.floor(r() * 8) + 2}`, Math.floor(r() * 4)]]));
      runtime = { ...runtime, connections };
    }
    services.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    const state: DesiredState = { networks: [net], workloads: [...workloads.values()], attachments: [...workloads.keys()].map(attachment), userRules: [], services };
    const fragments = inc.compile(state, runtime);
    const scratch = new ServiceCompiler(inc.slots()).compile(state, runtime);
    assert.deepEqual(fragments, scratch, `step ${step} (op ${op})`);
    if (before) {
      const old = new Map(before.fragments.map((f) => [f.id, f]));
      const oldRecords = new Set(before.services);
      for (const f of fragments) {
        const was = old.get(f.id);
        const record = services.find((s) => s.id === f.id)!;
        if (was && f.id !== recounted && oldRecords.has(record) && JSON.stringify(was) === JSON.stringify(f)) assert.equal(f, was, `step ${step}: ${f.name} kept its content but not its object`);
      }
    }
    before = { services, fragments };
  }
});

test("a workload change with the same service list recompiles only the services reading its label list", () => {
  const r = rng(3);
  const inc = new ServiceCompiler();
  const services = [...Array(50).keys()].map((i) => ({ ...service(i, r), selector: { app: APPS[i % 3]! } }));
  const state = (app: string): DesiredState => ({ networks: [net], workloads: [workload(0, "a"), workload(1, app)], attachments: [attachment(0), attachment(1)], userRules: [], services });
  const first = inc.compile(state("a"));
  const second = inc.compile(state("b"));
  const changed = second.filter((f, i) => f !== first[i]).map((f) => services.find((s) => s.id === f.id)!.selector.app);
  assert.ok(changed.length > 0);
  assert.ok(changed.every((app) => app === "a" || app === "b"), `only readers of app=a and app=b: ${changed}`);
  assert.equal(inc.compile(state("b")), second, "nothing changed: the same list");
});
