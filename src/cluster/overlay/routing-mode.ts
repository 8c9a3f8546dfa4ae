// How pod blocks reach other nodes, agreed once for the whole cluster: "vxlan" (Flannel's vxlan
// backend: encapsulated, nodes anywhere the underlay routes) or "native" (Flannel's host-gw,
// Cilium's routing-mode native: a plain route per remote block via that node's address, no
// encapsulation — the nodes must share one L2 segment).
import type { Etcd3 } from "etcd3";
import { EngineError } from "../../errors";
import { etcdCall } from "../etcd";
import { ROOT } from "../keys";

export type RoutingMode = "vxlan" | "native";
export const ROUTING_MODES: readonly RoutingMode[] = ["vxlan", "native"];
export const ROUTING_KEY = `${ROOT}config/routing`;

export function parseRoutingMode(value: string | undefined): RoutingMode | undefined {
  if (value === undefined) return undefined;
  if (!(ROUTING_MODES as readonly string[]).includes(value)) throw new EngineError("INVALID_ARGUMENT", `--cluster-routing is vxlan or native, not '${value}'`);
  return value as RoutingMode;
}

/** The first node to join sets the mode (vxlan unless asked); a node asking for another is refused. */
export async function agreeRoutingMode(etcd: Etcd3, wanted: RoutingMode | undefined): Promise<RoutingMode> {
  const proposed = wanted ?? "vxlan";
  const r = await etcdCall("agree on the cluster's routing mode", () => etcd.if(ROUTING_KEY, "Create", "==", 0).then(etcd.put(ROUTING_KEY).value(proposed)).else(etcd.get(ROUTING_KEY)).commit());
  const mode = r.succeeded ? proposed : (r.responses[0]?.response_range?.kvs[0]?.value.toString() as RoutingMode | undefined);
  if (!mode || !ROUTING_MODES.includes(mode)) throw new EngineError("STORE_UNAVAILABLE", `the cluster's routing mode in etcd (${ROUTING_KEY}) is unreadable: '${mode}'`);
  if (wanted !== undefined && wanted !== mode) {
    throw new EngineError("CLUSTER_CONFIG_MISMATCH", `this node asks for --cluster-routing ${wanted}, the cluster routes ${mode}`, { hint: `start it with --cluster-routing ${mode} (or without the flag); every node routes pod blocks the same way` });
  }
  return mode;
}
