// Limits on what one object or one request may hold, so every request costs bounded, linear work
// (docs/api.md, "Limits"). Labels follow Kubernetes' syntax limits; their count is ours.
import { EngineError } from "../errors";

/** Labels on one object. Kubernetes bounds annotations at 256 KiB; 256 labels of the longest legal pair stay under 100 KiB. */
export const MAX_LABELS = 256;
/** A label key's optional DNS-subdomain prefix (Kubernetes: 253). */
export const MAX_LABEL_PREFIX = 253;
/** Objects (services, policies, project entries) in one request. */
export const MAX_OBJECTS = 5000;

export function checkCount(what: string, count: number, max: number): void {
  if (count > max) throw new EngineError("INVALID_ARGUMENT", `${what}: ${count} is more than the limit of ${max}`, { hint: "split the request; see docs/api.md, Limits" });
}

/** Ports on one Linux bridge: the kernel's BR_MAX_PORTS is 1,024 and port number 0 is never given out. */
export const BRIDGE_MAX_PORTS = 1023;

/** Refuses one more workload on a bridge that already holds `held` ports, before the kernel answers "Exchange full". */
export function checkBridgePorts(network: string, held: number): void {
  if (held >= BRIDGE_MAX_PORTS) {
    throw new EngineError("BRIDGE_PORT_LIMIT", `network ${network} holds ${held} workloads, the most one Linux bridge takes (${BRIDGE_MAX_PORTS})`);
  }
}
