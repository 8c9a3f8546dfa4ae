import { parsePolicy } from "../parse";
import type { NetworkPolicy, PolicyWorld, Protocol } from "../types";

// Seeded generators of worlds and raw NetworkPolicy objects for differential tests.

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomWorld(r: () => number): PolicyWorld {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const namespaces = ["n0", "n1", "n2", "n3"].map((name) => ({
    name,
    labels: Object.fromEntries([["env", pick(["a", "b"])], ...(r() < 0.5 ? [["team", pick(["p", "q"])]] : [])]),
  }));
  const used = new Set<number>();
  const workloads = Array.from({ length: 12 }, (_, i) => {
    let host = 0;
    do host = 1 + Math.floor(r() * 60); while (used.has(host));
    used.add(host);
    const ports: { name?: string; port: number; protocol: Protocol }[] = [{ name: "web", port: pick([80, 8080]), protocol: "TCP" }];
    if (r() < 0.5) ports.push({ name: "dns", port: 53, protocol: "UDP" });
    if (r() < 0.3) ports.push({ name: "sig", port: 9, protocol: "SCTP" });
    if (r() < 0.3) ports.push({ port: 81, protocol: "TCP" });
    return {
      name: `w${i}`,
      namespace: pick(namespaces).name,
      labels: Object.fromEntries([["app", pick(["w", "d", "c"])], ...(r() < 0.5 ? [["tier", pick(["1", "2"])]] : [])]),
      ips: r() < 0.85 ? [`10.20.0.${host}`, `fd00:20::${host.toString(16)}`] : [`10.20.0.${host}`],
      ports,
    };
  });
  return { namespaces, workloads };
}

export function randomPolicies(r: () => number, count: number): unknown[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const selector = (keys: [string, string[]][]): unknown => {
    const x = r();
    const [k, vs] = pick(keys);
    if (x < 0.3) return {};
    if (x < 0.6) return { matchLabels: { [k]: pick(vs) } };
    const op = pick(["In", "NotIn", "Exists", "DoesNotExist"]);
    return { matchExpressions: [{ key: k, operator: op, ...(op === "In" || op === "NotIn" ? { values: [pick(vs)] } : {}) }] };
  };
  const podSel = () => selector([["app", ["w", "d", "c"]], ["tier", ["1", "2"]]]);
  const nsSel = () => selector([["env", ["a", "b"]], ["team", ["p", "q"]], ["kubernetes.io/metadata.name", ["n0", "n1"]]]);
  const ipBlock = (): unknown => {
    if (r() < 0.6) {
      const base = pick([0, 16, 32]);
      const len = pick([26, 27, 28]);
      const cidr = `10.20.0.${base}/${len}`;
      return r() < 0.6 ? { cidr, except: [`10.20.0.${base + pick([0, 4, 8])}/${len + 2}`] } : { cidr: pick([cidr, "0.0.0.0/0"]) };
    }
    return r() < 0.5 ? { cidr: "fd00:20::/120", except: ["fd00:20::20/123"] } : { cidr: pick(["fd00:20::/124", "::/0"]) };
  };
  const peer = (): unknown => {
    const x = r();
    if (x < 0.25) return { podSelector: podSel() };
    if (x < 0.45) return { namespaceSelector: nsSel() };
    if (x < 0.7) return { podSelector: podSel(), namespaceSelector: nsSel() };
    return { ipBlock: ipBlock() };
  };
  const port = (): unknown => pick([
    { port: 80 }, { port: 53, protocol: "UDP" }, { port: "web" }, { port: "dns", protocol: "UDP" }, { port: "sig", protocol: "SCTP" },
    { port: 80, endPort: 8080 }, { protocol: "UDP" }, { protocol: "SCTP" }, { port: "web", protocol: "UDP" }, { port: 81 },
  ]);
  const list = <T>(max: number, f: () => T): T[] | undefined => (r() < 0.15 ? undefined : Array.from({ length: Math.floor(r() * (max + 1)) }, f));
  const rule = (field: "from" | "to"): unknown => {
    const o: Record<string, unknown> = {};
    const peers = list(2, peer);
    if (peers) o[field] = peers;
    const ports = list(2, port);
    if (ports) o.ports = ports;
    return o;
  };
  return Array.from({ length: count }, (_, i) => {
    const spec: Record<string, unknown> = { podSelector: podSel() };
    const types = pick([undefined, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]);
    if (types) spec.policyTypes = types;
    const ingress = list(3, () => rule("from"));
    if (ingress) spec.ingress = ingress;
    const egress = list(3, () => rule("to"));
    if (egress) spec.egress = egress;
    return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: `p${i}`, namespace: pick(["n0", "n1", "n2", "n3"]) }, spec };
  });
}

/** The policies of `raw` that parse, one per kind/namespace/name: the generators also make ones parse refuses (not the subject of the tests that use them). */
export function parsedPolicies(raw: unknown[]): NetworkPolicy[] {
  const out: NetworkPolicy[] = [];
  const names = new Set<string>();
  for (const x of raw) {
    try {
      const p = parsePolicy(x);
      const key = `${p.kind}/${p.namespace}/${p.name}`;
      if (!names.has(key)) (names.add(key), out.push(p));
    } catch {
      // refused by parse: skipped
    }
  }
  return out;
}
