// A conflist may describe its Ponton network (subnet, gateway, options): the first ADD creates it,
// and an existing network with other settings is refused, naming each difference.
import type { Engine } from "../engine";
import { EngineError } from "../errors";
import { canonicalIp, formatCidr, parseCidr } from "../model/ip";
import type { Network } from "../model/types";
import type { CniConfig, CniNetworkDescription } from "./config";
import { CNI_CODE, CniError } from "./errors";

/** The drivers a CNI attachment (a veth into the runtime's namespace) is made on. */
export const cniDriver = (n: Network | undefined): boolean => n?.driver === "bridge" || n?.driver === "routed";

const described = (d: CniNetworkDescription): boolean => Object.keys(d).length > 0;

const cidr = (v: string | undefined): string | undefined => {
  try {
    return v === undefined ? undefined : formatCidr(parseCidr(v));
  } catch {
    return v;
  }
};
const ip = (v: string | undefined): string | undefined => {
  try {
    return v === undefined ? undefined : canonicalIp(v);
  } catch {
    return v;
  }
};

/** Pure: the settings of `n` that differ from what the conflist says ("subnet 10.1.0.0/24, the conflist says 10.2.0.0/24"). */
export function differences(n: Network, d: CniNetworkDescription): string[] {
  const v6Subnet = d.subnet?.includes(":");
  const wanted: [string, string | boolean | undefined, string | boolean | undefined][] = [
    ["driver", d.driver, n.driver],
    ["subnet", cidr(v6Subnet ? undefined : d.subnet), n.subnet4],
    ["gateway", ip(v6Subnet ? undefined : d.gateway), n.gateway4],
    ["subnet6", cidr(d.subnet6 ?? (v6Subnet ? d.subnet : undefined)), n.subnet6],
    ["gateway6", ip(d.gateway6 ?? (v6Subnet ? d.gateway : undefined)), n.gateway6],
    ["internal", d.internal, n.internal],
    ["icc", d.icc, n.icc],
    ["masquerade", d.masquerade, n.masquerade],
  ];
  return wanted.filter(([, want, has]) => want !== undefined && want !== has).map(([k, want, has]) => `${k} is ${String(has ?? "unset")}, the conflist says ${String(want)}`);
}

/** The network an ADD attaches to: existing (and matching the description), or made from the description. */
export async function ensureNetwork(engine: Engine, conf: CniConfig): Promise<Network> {
  const d = conf.describes;
  const existing = engine.ctx.store.network(conf.network);
  if (!existing && described(d)) {
    try {
      await engine.createNetwork({ name: conf.network, ...d });
    } catch (e) {
      // A parallel first ADD made it between our look and the engine's turn: compare with that one.
      if (!(e instanceof EngineError && e.code === "NAME_IN_USE")) throw e;
    }
  }
  const n = engine.ctx.store.network(conf.network);
  if (!n) throw new CniError(CNI_CODE.INVALID_CONFIG, `network ${conf.network} not found`, "describe it in the conflist (subnet, gateway…) or create it with 'ponton network create NAME'");
  if (!cniDriver(n)) throw new CniError(CNI_CODE.INVALID_CONFIG, `network ${conf.network} is a ${n.driver} network: ponton-cni attaches to bridge and routed networks`);
  const diff = differences(n, d);
  if (diff.length) throw new CniError(CNI_CODE.INVALID_CONFIG, `network ${conf.network} exists with other settings: ${diff.join("; ")}`, "make the conflist match the network, or use another network name");
  return n;
}
