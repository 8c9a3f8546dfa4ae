// `ponton network rm` on a cluster node: a cluster network (this node's piece of it, or one etcd has
// that this node has not made yet) is removed cluster-wide (src/cluster/overlay/network-removal.ts);
// any other network as on a single host. Ahead of routes.ts in the table; without a cluster there are none.
import type { IncomingMessage, ServerResponse } from "node:http";
import { CLUSTER_NETWORK_LABEL, type Cluster } from "../cluster";
import type { Engine } from "../engine";
import { sendJson } from "./http-util";
import type { Route } from "./routes";

export function clusterNetworkRoutes(engine: Engine, cluster: Cluster | undefined, local: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Route[] {
  if (!cluster) return [];
  return [
    {
      method: "DELETE",
      pattern: /^\/v1\/networks\/([^/]+)$/,
      status: 0,
      handler: async ({ req, res, params }) => {
        const name = params[0]!;
        const here = engine.listNetworks().find((n) => n.name === name);
        const clusterScope = here ? here.labels?.[CLUSTER_NETWORK_LABEL] === name : (await cluster.ipam.networks()).some((n) => n.name === name);
        if (!clusterScope) return local(req, res);
        sendJson(res, 200, await cluster.removeNetwork(name));
      },
    },
  ];
}
