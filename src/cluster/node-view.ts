// What `ponton node ls` shows, from the records read out of etcd (pure: unit-tested).
export interface NodeInfo {
  name: string;
  /** Underlay address: the VXLAN tunnel endpoint and where its API is reached. */
  address: string;
  /** MAC of the node's VXLAN device (for the others' FDB and neighbour entries). */
  vtepMac?: string;
  /** Link-local IPv6 address of its underlay interface: the next hop of its IPv6 blocks under native routing. */
  linkLocal6?: string;
  /** ISO time of the last heartbeat the node wrote. */
  heartbeat: string;
  workloads: number;
}

export interface NodeView extends NodeInfo {
  status: "Ready" | "NotReady";
  /** Pod blocks the node holds, "network=cidr". */
  blocks: string[];
}

export function nodeViews(infos: NodeInfo[], alive: ReadonlySet<string>, blocks: { network: string; block: string; node: string }[]): NodeView[] {
  return infos
    .map((i) => ({
      ...i,
      status: alive.has(i.name) ? ("Ready" as const) : ("NotReady" as const),
      blocks: blocks.filter((b) => b.node === i.name).map((b) => `${b.network}=${b.block}`).sort(),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
