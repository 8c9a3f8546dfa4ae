// The JSON type of every field of each request (API body, CLI, `ponton up`), in one place.
import { checkEach, checkShape, type Kind } from "./shape";

export const NETWORK_FIELDS: Record<string, Kind | Kind[]> = {
  name: "string", driver: "string", subnet: "string", gateway: "string", ipv6: "boolean", subnet6: "string", gateway6: "string",
  internal: "boolean", hostAccess: "boolean", icc: "boolean", masquerade: "boolean", routesTo: "string[]", labels: "map",
  parent: "string", mode: "string", mtu: "integer", gatewayMode: "string", defaultRouteMetric: "integer", defaultRoute: "boolean",
  dns: "string[]", options: "map",
};

const ATTACH_FIELDS: Record<string, Kind | Kind[]> = { network: "string", ip: "string", ip6: "string", ifname: "string", mac: "string", aliases: "string[]" };

export const RUN_FIELDS: Record<string, Kind | Kind[]> = {
  name: "string", networks: "list", labels: "map", command: "string[]", env: "map", restart: "string", routes: "list",
  ports: "list", allowFrom: "string[]", netns: "string", project: "string", cni: "object", namespace: "string", exposes: "list",
  aliases: "string[]", replicas: "integer", privilegedRanges: "boolean", hostname: "string", dns: "object", extraHosts: "list",
};

/** A workload's dns object (model/workload-dns.ts checks its values). */
const WORKLOAD_DNS_FIELDS: Record<string, Kind | Kind[]> = { policy: "string", nameservers: "string[]", search: "string[]", options: "string[]" };

export const SERVICE_FIELDS: Record<string, Kind | Kind[]> = {
  name: "string", namespace: "string", ports: "list", selector: ["map", "string[]"], vip: "string", vips: "string[]",
  ipFamily: "string", ipFamilies: "string[]", ipFamilyPolicy: "string", scheduler: "string", weights: ["map", "string[]"],
  publish: "string[]", externalIps: "string[]", health: ["string", "object"], healthIntervalMs: "integer", healthTimeoutMs: "integer",
  healthRise: "integer", healthFall: "integer", affinity: "string", affinityTimeout: ["string", "integer"], project: "string",
  headless: "boolean", externalName: "string", externalTrafficPolicy: "string",
};

/** A run (or template) request: its fields, each network entry, route and port object. */
export function checkRunShape<T>(what: string, spec: unknown): T {
  const s = checkShape<Record<string, unknown>>(what, spec, RUN_FIELDS);
  checkEach(`${what}: networks`, s.networks, ATTACH_FIELDS, true);
  checkEach(`${what}: routes`, s.routes, { dst: "string", via: "string" });
  checkEach(`${what}: ports`, s.ports, { hostIp: "string", hostPort: "integer", containerPort: "integer", protocol: "string", allowFrom: "string[]" }, true);
  checkEach(`${what}: exposes`, s.exposes, { name: "string", containerPort: "integer", port: "integer", protocol: "string" }, true);
  if (s.cni !== undefined) checkShape(`${what}: cni`, s.cni, { network: "string", containerId: "string", ifname: "string" });
  if (s.dns !== undefined) checkShape(`${what}: dns`, s.dns, WORKLOAD_DNS_FIELDS);
  checkEach(`${what}: extraHosts`, s.extraHosts, { name: "string", ip: "string" }, true);
  return s as T;
}

export function checkServiceShape<T>(what: string, spec: unknown): T {
  const s = checkShape<Record<string, unknown>>(what, spec, SERVICE_FIELDS);
  checkEach(`${what}: ports`, s.ports, { name: "string", port: "integer", targetPort: ["integer", "string"], protocol: "string", hostPort: ["integer", "string"] }, true);
  return s as T;
}
