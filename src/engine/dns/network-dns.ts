// `ponton network update NAME --dns IP…`: a network's own upstream DNS servers, live (the next
// forwarded query of its workloads goes there; nothing in the workloads changes).
import { EngineError } from "../../errors";
import type { Network } from "../../model/types";
import { normalizeNetworkDns } from "../../model/workloads/workload-dns";
import type { EngineContext } from "../context";
import { crossesHost } from "../../model/networks/drivers";

/** An empty list goes back to the host's resolvers. */
export function setNetworkDns(ctx: EngineContext, name: string, servers: unknown): Network {
  const n = ctx.store.network(name);
  if (!n) throw new EngineError("NETWORK_NOT_FOUND", `network ${name} not found`);
  if (!crossesHost(n)) throw new EngineError("UNSUPPORTED", `set dns servers of network ${name}: only bridge and routed networks have the embedded DNS`);
  const dns = normalizeNetworkDns(servers);
  const next: Network = { ...n, dns };
  if (!dns.length) delete next.dns;
  ctx.store.putNetwork(next);
  return next;
}
