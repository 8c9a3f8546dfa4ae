import type { TruthCase } from "../testing/truth-cases";

// Tier truth-table cases over the truth-table world (testing/world.ts: x, y, z × a, b, c; IPv4
// x = 10.9.0.16/28). Matrices are written by hand from the network-policy-api semantics, NOT
// computed: AdminNetworkPolicy by priority (Allow/Deny final, Pass skips the remaining admin
// rules) → NetworkPolicy/Cilium where one isolates → BaselineAdminNetworkPolicy → allowed.
// Rows are sources, columns destinations, both xa xb xc ya yb yc za zb zc.

const ALL = "#########";
const rows = (...r: string[]): string[] => r.flatMap((x) => [x, x, x]);

const anp = (name: string, priority: number, spec: string): string =>
  `apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata:\n  name: ${name}\nspec:\n  priority: ${priority}\n${spec.replace(/^\n/, "").replace(/^/gm, "  ")}`;
const banp = (spec: string): string =>
  `apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata:\n  name: default\nspec:\n${spec.replace(/^\n/, "").replace(/^/gm, "  ")}`;
const np = (ns: string, name: string, spec: string): string =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n${spec.replace(/^\n/, "").replace(/^/gm, "  ")}`;
const cnp = (ns: string, name: string, spec: string): string =>
  `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n${spec.replace(/^\n/, "").replace(/^/gm, "  ")}`;
const docs = (...d: string[]): string => d.join("\n---\n");

export const ADMIN_CASES: TruthCase[] = [
  {
    name: "ANP Deny beats a NetworkPolicy allow-all",
    yaml: docs(
      anp("deny-y-to-x", 10, `
subject: {namespaces: {matchLabels: {ns: x}}}
ingress:
- name: no-y
  action: Deny
  from: [{namespaces: {matchLabels: {ns: y}}}]`),
      np("x", "allow-all", `
podSelector: {}
ingress: [{}]`),
    ),
    v4: rows(ALL, "...######", ALL),
  },
  {
    name: "ANP Pass skips lower admin rules and defers to NetworkPolicy",
    yaml: docs(
      anp("pass-y", 5, `
subject: {namespaces: {matchLabels: {ns: x}}}
ingress:
- action: Pass
  from: [{namespaces: {matchLabels: {ns: y}}}]`),
      anp("deny-y", 20, `
subject: {namespaces: {matchLabels: {ns: x}}}
ingress:
- action: Deny
  from: [{namespaces: {matchLabels: {ns: y}}}]`),
      np("x", "a-from-yb", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from: [{namespaceSelector: {matchLabels: {ns: y}}, podSelector: {matchLabels: {pod: b}}}]`),
    ),
    v4: [".########", ".########", ".########", ".########", ALL, ".########", ".########", ".########", ".########"],
  },
  {
    name: "BaselineAdminNetworkPolicy Deny applies only where no NetworkPolicy isolates",
    yaml: docs(
      banp(`
subject: {namespaces: {}}
ingress:
- action: Deny
  from: [{namespaces: {matchLabels: {ns: z}}}]`),
      np("y", "allow-all", `
podSelector: {}
ingress: [{}]`),
      np("x", "a-from-x", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from: [{podSelector: {}}]`),
    ),
    v4: rows(ALL, ".########", "...###..."),
  },
  {
    name: "priority, not name, orders AdminNetworkPolicies; ports narrow a rule",
    yaml: docs(
      anp("a-deny-all", 20, `
subject: {namespaces: {matchLabels: {ns: x}}}
ingress:
- action: Deny
  from: [{namespaces: {}}]`),
      anp("b-allow-y-80", 10, `
subject: {pods: {namespaceSelector: {matchLabels: {ns: x}}, podSelector: {matchLabels: {pod: a}}}}
ingress:
- action: Allow
  from: [{namespaces: {matchLabels: {ns: y}}}]
  ports: [{portNumber: {protocol: TCP, port: 80}}]`),
    ),
    legend: { t: ["80/TCP"] },
    v4: rows("...######", "t..######", "...######"),
  },
  {
    name: "ANP egress Deny to networks on a UDP portRange (IPv4 only: the CIDR is x's /28)",
    yaml: anp("z-no-udp-to-x", 30, `
subject: {namespaces: {matchLabels: {ns: z}}}
egress:
- action: Deny
  to: [{networks: [10.9.0.16/28]}]
  ports: [{portRange: {protocol: UDP, start: 80, end: 81}}]`),
    legend: { n: ["80/TCP", "81/TCP", "80/SCTP", "81/SCTP"] },
    v4: rows(ALL, ALL, "nnn######"),
    v6: rows(ALL, ALL, ALL),
  },
  {
    name: "ANP egress Allow on a named port beats a NetworkPolicy default deny",
    yaml: docs(
      anp("z-to-y-81-udp", 40, `
subject: {namespaces: {matchLabels: {ns: z}}}
egress:
- action: Allow
  to: [{pods: {namespaceSelector: {matchLabels: {ns: y}}, podSelector: {}}}]
  ports: [{namedPort: serve-81-udp}]`),
      np("z", "deny-egress", `
podSelector: {}
policyTypes: [Egress]`),
    ),
    legend: { u: ["81/UDP"] },
    v4: rows(ALL, ALL, "...uuu..."),
  },
  {
    name: "baseline egress Deny where no NetworkPolicy isolates egress",
    yaml: docs(
      banp(`
subject: {namespaces: {matchLabels: {ns: x}}}
egress:
- action: Deny
  to: [{namespaces: {matchLabels: {ns: z}}}]`),
      np("z", "allow-in", `
podSelector: {}
ingress: [{}]`),
      np("x", "a-out", `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress]
egress: [{}]`),
    ),
    v4: [ALL, "######...", "######...", ALL, ALL, ALL, ALL, ALL, ALL],
  },
  {
    name: "ANP subject pods across namespaces (not consecutive addresses)",
    yaml: anp("a-not-from-z", 60, `
subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {pod: a}}}}
ingress:
- action: Deny
  from: [{namespaces: {matchLabels: {ns: z}}}]`),
    v4: rows(ALL, ALL, ".##.##.##"),
  },
  {
    name: "ANP Allow beats a Cilium deny rule",
    yaml: docs(
      anp("yb-to-x", 50, `
subject: {namespaces: {matchLabels: {ns: x}}}
ingress:
- action: Allow
  from: [{pods: {namespaceSelector: {matchLabels: {ns: y}}, podSelector: {matchLabels: {pod: b}}}}]`),
      cnp("x", "no-y", `
endpointSelector: {}
ingress:
- fromEntities: [all]
ingressDeny:
- fromEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: y}}]`),
    ),
    v4: [ALL, ALL, ALL, "...######", ALL, "...######", ALL, ALL, ALL],
  },
];
