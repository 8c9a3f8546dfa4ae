import type { PolicyWorld, Protocol } from "../types";

// The truth-table world of the upstream e2e suite: namespaces x, y, z (label ns=<name>),
// pods a, b, c in each (label pod=<name>), each serving 80 and 81 on TCP, UDP and SCTP
// under names like serve-80-tcp. Addresses put each namespace in its own /28 (and /112)
// so ipBlock cases can carve namespaces out of ranges.

export const NAMESPACES = ["x", "y", "z"] as const;
export const PODS = ["a", "b", "c"] as const;
export const PORTS = [80, 81] as const;
export const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];

/** Row/column order of every matrix: xa xb xc ya yb yc za zb zc. */
export const WORKLOADS: string[] = NAMESPACES.flatMap((n) => PODS.map((p) => `${n}/${p}`));

export function ipv4Of(ns: number, pod: number): string {
  return `10.9.0.${16 * (ns + 1) + pod + 1}`;
}

export function ipv6Of(ns: number, pod: number): string {
  return `fd00:9::${ns + 1}:${pod + 1}`;
}

export function truthWorld(): PolicyWorld {
  return {
    namespaces: NAMESPACES.map((name) => ({ name, labels: { ns: name } })),
    workloads: NAMESPACES.flatMap((ns, i) =>
      PODS.map((pod, j) => ({
        name: pod,
        namespace: ns,
        labels: { pod },
        ips: [ipv4Of(i, j), ipv6Of(i, j)],
        ports: PORTS.flatMap((port) => PROTOCOLS.map((protocol) => ({ name: `serve-${port}-${protocol.toLowerCase()}`, port, protocol }))),
      })),
    ),
  };
}
