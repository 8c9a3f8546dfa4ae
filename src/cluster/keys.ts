// Where cluster state lives in etcd. One prefix per kind, so a watch on a prefix sees one kind.
export const ROOT = "/ponton/";
export const NODES = `${ROOT}nodes/`;
export const NETWORKS = `${ROOT}networks/`;
export const BLOCKS = `${ROOT}blocks/`;
/** A node's workloads on cluster networks, under the node's lease: they vanish with it. */
export const WORKLOADS = `${ROOT}workloads/`;
/** Cluster-scope objects: every node mirrors them into its own store. */
export const SERVICES = `${ROOT}services/`;
export const POLICIES = `${ROOT}policies/`;
export const NAMESPACES = `${ROOT}namespaces/`;
/** Templates (`run --replicas`): the record with its owner node, the only node that runs its replicas. */
/** LoadBalancer IP pools (CiliumLoadBalancerIPPool): one pool record per name, mirrored by every node. */
export const LB_POOLS = `${ROOT}lbpools/`;
export const TEMPLATES = `${ROOT}templates/`;
/** Reservations, so two nodes never hand out the same VIP or NodePort: value = the service's NS/NAME. */
export const VIPS = `${ROOT}vips/`;
export const NODE_PORTS = `${ROOT}nodeports/`;
/** LoadBalancer addresses: value = the service's NS/NAME, or its sharing key's (services sharing one address). */
export const LB_IPS = `${ROOT}lbips/`;
/** Workload names, unique cluster-wide: value = the node that runs it (workload-names.ts). */
export const WORKLOAD_NAMES = `${ROOT}names/`;

/** The node's record (address, heartbeat, workloads): kept after the node dies, so `node ls` can say NotReady. */
export const nodeInfoKey = (name: string) => `${NODES}${name}/info`;
/** Present only while the node's lease lives: the node is Ready exactly when this key exists. */
export const nodeAliveKey = (name: string) => `${NODES}${name}/alive`;
export const networkKey = (name: string) => `${NETWORKS}${name}`;
/** A pod block of a cluster network, e.g. /ponton/blocks/pods/10.42.3.0_24 → node name. */
export const blockKey = (network: string, block: string) => `${BLOCKS}${network}/${block.replace("/", "_")}`;

/** Parse a key under NODES into the node name and what it is. */
export function parseNodeKey(key: string): { node: string; kind: "info" | "alive" } | undefined {
  const m = /^\/ponton\/nodes\/([^/]+)\/(info|alive)$/.exec(key);
  return m ? { node: m[1]!, kind: m[2] as "info" | "alive" } : undefined;
}

/** Parse a key under BLOCKS into network and block CIDR. */
export function parseBlockKey(key: string): { network: string; block: string } | undefined {
  const m = /^\/ponton\/blocks\/([^/]+)\/([^/]+)$/.exec(key);
  return m ? { network: m[1]!, block: m[2]!.replace("_", "/") } : undefined;
}

export const workloadKey = (node: string, id: string) => `${WORKLOADS}${node}/${id}`;
export const serviceKey = (namespace: string, name: string) => `${SERVICES}${namespace}/${name}`;
export const policyKey = (key: string) => `${POLICIES}${key}`;
export const namespaceKey = (name: string) => `${NAMESPACES}${name}`;
export const lbPoolKey = (name: string) => `${LB_POOLS}${name}`;
export const templateKey = (namespace: string, name: string) => `${TEMPLATES}${namespace}/${name}`;
export const vipKey = (ip: string) => `${VIPS}${ip}`;
export const lbIpKey = (ip: string) => `${LB_IPS}${ip}`;
export const nodePortKey = (protocol: string, port: number) => `${NODE_PORTS}${protocol}/${port}`;
export const workloadNameKey = (name: string) => `${WORKLOAD_NAMES}${name}`;
