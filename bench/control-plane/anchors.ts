// Figures from /work/shared/anchors/RESULTS.md section 1 (results/run-all-2, N=100), ms.
// Printed beside this run's figures; compare against this run first (VM noise is ±10%, at times 2x).

export interface Anchor {
  source: string;
  add: { p50: number; p90: number; p99: number; max: number };
  del: { p50: number; p90: number; max: number };
  first10?: number;
  last10?: number;
  parts?: string;
}

export const ANCHORS: Record<string, Anchor> = {
  cni: {
    source: "RESULTS.md §1 'CNI bridge (ipMasq) + portmap (1 tcp port)'",
    add: { p50: 86.1, p90: 100.5, p99: 123.8, max: 131.0 },
    del: { p50: 192.1, p90: 213.0, max: 272.8 },
    first10: 78,
    last10: 104,
    parts: "bridge 32.2 / portmap 54.3",
  },
  netavark: {
    source: "RESULTS.md §1 'netavark bridge + 1 port mapping'",
    add: { p50: 58.6, p90: 72.4, p99: 79.3, max: 88.9 },
    del: { p50: 101.5, p90: 124.2, max: 284.5 },
    first10: 46,
    last10: 70,
  },
  floor: {
    source: "RESULTS.md §1 'floor: 2×ip -batch + 1×nft add element'",
    add: { p50: 11.2, p90: 12.6, p99: 13.8, max: 14.0 },
    del: { p50: 49.9, p90: 60.0, max: 87.0 },
  },
};
