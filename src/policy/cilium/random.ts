// Seeded generator of raw Cilium policies over randomWorld()'s labels and addresses, for the
// differential test (explain vs the compiled plan).

export function randomCiliumPolicies(r: () => number, count: number): unknown[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const selector = (): unknown => {
    const x = r();
    if (x < 0.25) return {};
    if (x < 0.5) return { matchLabels: { [pick(["k8s:app", "app"])]: pick(["w", "d", "c"]) } };
    if (x < 0.7) return { matchLabels: { "k8s:io.kubernetes.pod.namespace": pick(["n0", "n1", "n2"]) } };
    if (x < 0.85) return { matchLabels: { "io.cilium.k8s.namespace.labels.env": pick(["a", "b"]) } };
    const op = pick(["In", "NotIn", "Exists", "DoesNotExist"]);
    return { matchExpressions: [{ key: pick(["tier", "app"]), operator: op, ...(op === "In" || op === "NotIn" ? { values: [pick(["1", "w"])] } : {}) }] };
  };
  const cidrSet = (): unknown => pick([
    { cidr: "10.20.0.0/24", except: ["10.20.0.128/25"] }, { cidr: "0.0.0.0/0" }, { cidr: "10.20.0.64/26" },
    { cidr: "fd00:20::/120", except: ["fd00:20::80/121"] }, { cidr: "192.0.2.0/24" },
  ]);
  const ports = (): unknown => ({
    ports: Array.from({ length: 1 + Math.floor(r() * 2) }, () => pick([
      { port: "80", protocol: "TCP" }, { port: "53", protocol: "UDP" }, { port: "80" }, { port: "0", protocol: "UDP" },
      { port: "80", endPort: 8080, protocol: "TCP" }, { port: "web", protocol: "TCP" }, { port: "9", protocol: "SCTP" }, { port: "443", protocol: "ANY" },
    ])),
  });
  const rule = (dir: "from" | "to"): unknown => {
    const o: Record<string, unknown> = {};
    const x = r();
    if (x < 0.35) o[`${dir}Endpoints`] = Array.from({ length: 1 + Math.floor(r() * 2) }, selector);
    else if (x < 0.5) o[`${dir}CIDR`] = [pick(["10.20.0.0/26", "192.0.2.1", "fd00:20::/124", "10.20.0.200/32"])];
    else if (x < 0.65) o[`${dir}CIDRSet`] = [cidrSet()];
    else if (x < 0.8) o[`${dir}Entities`] = [pick(["world", "cluster", "all", "host", "remote-node"])];
    if (r() < 0.6) o.toPorts = [ports()];
    return o;
  };
  const rules = (dir: "from" | "to"): unknown[] => Array.from({ length: Math.floor(r() * 3) }, () => rule(dir));
  return Array.from({ length: count }, (_, i) => {
    const clusterwide = r() < 0.25;
    const spec: Record<string, unknown> = { endpointSelector: selector() };
    if (r() < 0.7) spec.ingress = rules("from");
    if (r() < 0.4) spec.ingressDeny = rules("from");
    if (r() < 0.5) spec.egress = rules("to");
    if (r() < 0.3) spec.egressDeny = rules("to");
    if (!spec.ingress && !spec.ingressDeny && !spec.egress && !spec.egressDeny) spec.ingress = [];
    return {
      apiVersion: "cilium.io/v2",
      kind: clusterwide ? "CiliumClusterwideNetworkPolicy" : "CiliumNetworkPolicy",
      metadata: { name: `c${i}`, ...(clusterwide ? {} : { namespace: pick(["n0", "n1", "n2", "n3"]) }) },
      spec,
    };
  });
}
