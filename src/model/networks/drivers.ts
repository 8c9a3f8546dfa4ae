// Which networks carry their workloads' traffic through the host's own IP stack.
import type { Network } from "../types";

/**
 * Bridge and routed networks: the host is their gateway, so Ponton's NAT, published ports, isolation,
 * policy, flow records and DNS apply. macvlan/ipvlan traffic never crosses the host's stack.
 */
export function crossesHost(n: Network | undefined): boolean {
  return n?.driver === "bridge" || n?.driver === "routed";
}
