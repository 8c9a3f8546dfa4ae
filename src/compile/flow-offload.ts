// nftables flowtable offload (the software fast path, issue 20): once a TCP or UDP connection
// between Ponton's interfaces is established and every chain of ours has let it through, its later
// packets go from the ingress hook of one interface straight to the other, skipping the hooks.
// It changes no verdict: NetworkPolicy, isolation and published ports decide on `ct state new`
// only, flow records are written for new connections before a flow is offloaded, and the
// user hook (`ponton firewall`, which sees every forwarded packet) turns offload off while it
// holds rules. Kernels without CONFIG_NF_FLOW_TABLE refuse the declaration: pontond probes with
// OFFLOAD_PROBE at start and compiles none of this there.
import type { DesiredState } from "../model/types";
import type { NftOp } from "./nft-ops";

export const FLOWTABLE = "ft";
export const OFFLOAD_CHAIN = "flow_offload";

/** The flowtable's interfaces (sorted): what the plan wants; the engine keeps those that exist. */
export interface OffloadPlan {
  devices: string[];
}

/** The kernel feature the probe needs, as a user greps for it in the kernel's config. */
export const OFFLOAD_KERNEL_FEATURE = "nftables flowtables (CONFIG_NF_FLOW_TABLE, CONFIG_NF_FLOW_TABLE_INET, CONFIG_NFT_FLOW_OFFLOAD)";

const q = (ifname: string) => `"${ifname}"`;
const hook = (devices: string[]) => `hook ingress priority filter; devices = { ${devices.map(q).join(", ")} };`;

/**
 * Interfaces whose traffic is routed by the host (a flowtable only shortcuts the IP forward path):
 * bridge networks' bridges (between networks, to the uplink) and routed networks' workload veths.
 * Traffic between two ports of one bridge is bridged, not routed: it never meets the flowtable.
 */
export function offloadDevices(state: DesiredState): string[] {
  const routed = new Set(state.networks.filter((n) => n.driver === "routed").map((n) => n.id));
  const devices = new Set<string>();
  for (const n of state.networks) if (n.driver === "bridge" && n.bridge) devices.add(n.bridge);
  for (const a of state.attachments) if (routed.has(a.networkId) && a.hostIfname) devices.add(a.hostIfname);
  return [...devices].sort();
}

/** The plan's offload part, or undefined (off, or user rules present: they must see every packet). */
export function compileOffload(state: DesiredState, enabled: boolean): OffloadPlan | undefined {
  if (!enabled || state.userRules.length > 0) return undefined;
  return { devices: offloadDevices(state) };
}

/** A flowtable needs at least one device: with none, neither it nor its chain is declared. */
export const offloadDeclared = (o: OffloadPlan | undefined): o is OffloadPlan => !!o && o.devices.length > 0;

/** Declarations inside `table inet ponton { … }`: the flowtable before the sets' users, the chain last. */
export function renderOffloadDecl(o: OffloadPlan | undefined): string[] {
  return offloadDeclared(o) ? [`  flowtable ${FLOWTABLE} { ${hook(o.devices)} }`] : [];
}

export function renderOffloadChain(o: OffloadPlan | undefined): string[] {
  if (!offloadDeclared(o)) return [];
  return [
    `  chain ${OFFLOAD_CHAIN} {`,
    // After forward (filter): only what every chain of ours let through (flow records are written
    // for new connections, never offloaded, in forward: first-packet-chains.ts).
    "    type filter hook forward priority filter + 20; policy accept;",
    // Bridged traffic (br_netfilter shows the bridge at both ends) is not routed: nothing to offload.
    "    iifname . oifname @same_bridge return",
    // Neither end is ours (pontond --forward-others accept): the host's own business.
    "    iifname != @owned_ifs oifname != @owned_ifs return",
    `    ct state established meta l4proto { tcp, udp } flow add @${FLOWTABLE}`,
    "  }",
  ];
}

/**
 * Devices new in `to`: added to the live flowtable (adding one it holds is a no-op). A device that
 * went is not deleted: the kernel unhooks an interface from every flowtable when it is removed.
 * Declaring or dropping the flowtable itself changes the skeleton (a full reload, see sameSkeleton).
 */
export function offloadOps(from: OffloadPlan | undefined, to: OffloadPlan | undefined): NftOp[] {
  if (!offloadDeclared(to)) return [];
  const had = new Set(from?.devices ?? []);
  const added = to.devices.filter((d) => !had.has(d));
  return added.length ? [{ op: "addFlowtableDevices", flowtable: FLOWTABLE, spec: hook(added) }] : [];
}

/** The plan with only the devices that exist now (a flowtable refuses a missing interface). */
export function withPresentDevices<P extends { offload?: OffloadPlan }>(plan: P, present: ReadonlySet<string>): P {
  if (!plan.offload) return plan;
  return { ...plan, offload: { devices: plan.offload.devices.filter((d) => present.has(d)) } };
}

/** One throwaway transaction (checked with `nft -c`, never committed): a flowtable and a `flow add` rule. */
export const OFFLOAD_PROBE = [
  "table inet ponton_offload_probe {",
  `  flowtable ${FLOWTABLE} { ${hook(["lo"])} }`,
  "  chain c {",
  "    type filter hook forward priority filter; policy accept;",
  `    ct state established flow add @${FLOWTABLE}`,
  "  }",
  "}",
  "",
].join("\n");
