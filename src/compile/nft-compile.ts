// Pure: desired state -> NftPlan. No I/O, no clock: the same state renders byte-identical text.
import type { Attachment, DesiredState, Network, PortMapping, Workload } from "../model/types";
import { parseCidr, cidrContains, parseIp } from "../model/ip";
import { portFamilies, wildcardFamily } from "../model/ports";
import { SET_DECLS, type NftPlan } from "./nft-plan";
import { EMPTY_RUNTIME, type ServiceRuntime } from "../model/services/service";
import { compileServices } from "./services/service-compiler";
import { compilePolicyFragment } from "./policy/fragment";
import { DROP_REASONS, flowRecordRules, loggedAllowIds, userRuleWithLog } from "./flow-log";
import { statePolicies } from "./policy/world";
import { crossesHost } from "../model/networks/drivers";
import { routedIfPrefix } from "./names";
import { compileOffload } from "./flow-offload";
import { l7EgressTproxyRules } from "./l7-chains";
import { KeptElements, type WorkloadPart } from "./nft-delta/kept-elements";
import type { SetElement } from "./nft-delta/set-elements";
import { overlaySources } from "./overlay-source";

export type ForwardOthers = "drop" | "accept";

export interface CompileOptions {
  /** Log every new connection to NFLOG for the flow collector (drops are always logged). */
  flowLog: boolean;
  /** Traffic forwarded between interfaces Ponton does not own (pontond --forward-others). */
  forwardOthers: ForwardOthers;
  /** Port of the embedded DNS on gateway addresses (0: off), kept open on --no-host-access networks. */
  dnsPort: number;
  /** Cluster mode: the VXLAN device(s) and the cluster networks' IPv4 ranges. */
  /** `owned`: the interfaces are Ponton's (a VXLAN device); the underlay of native routing is not. */
  /** `hostSource`: native routing, what the host sends to another node's block leaves from its gateway there (overlay-source.ts). */
  overlay?: { ifnames: string[]; cidrs4: string[]; cidrs6?: string[]; owned?: boolean; hostSource?: boolean };
  /** False where the kernel has no TPROXY (probed at start): egress HTTP rules cannot be proxied. */
  tproxy?: boolean;
  /** False where the kernel has no conntrack labels (probed at start): a flow record per "new" packet, not per connection. */
  ctLabels?: boolean;
  /** Flowtable offload of established flows (pontond --flow-offload, when the kernel has flowtables). */
  flowOffload?: boolean;
  /** pontond --policy-delta (default on): the policy compile keeps its work between changes; off: compiled whole each time. */
  policyDelta?: boolean;
}

export const DEFAULT_COMPILE_OPTIONS: CompileOptions = { flowLog: true, forwardOthers: "drop", dnsPort: 53 };

/** A network's workloads reach this host's own services (not only DNS): off by default for internal ones. */
export const hostAccessOf = (n: Network): boolean => n.hostAccess ?? !n.internal;

const q = (ifname: string) => `"${ifname}"`;

/** The attachment a published port lands on: the first non-internal bridge network with that family. */
export function portTarget(attachments: Attachment[], networks: Map<string, Network>, family: 4 | 6): Attachment | undefined {
  return [...attachments]
    .sort((a, b) => a.index - b.index)
    .find((a) => crossesHost(networks.get(a.networkId)) && !networks.get(a.networkId)?.internal && (family === 4 ? a.ip4 : a.ip6));
}

function familyOf(ip: string): 4 | 6 {
  return ip.includes(":") ? 6 : 4;
}

/** Drop allow-list prefixes contained in another one (interval sets refuse overlaps). */
function withoutContained(cidrs: string[]): string[] {
  const parsed = [...new Set(cidrs)].map((c) => ({ text: c, cidr: parseCidr(c) }));
  return parsed
    .filter((a) => !parsed.some((b) => b !== a && b.cidr.prefix < a.cidr.prefix && cidrContains(b.cidr, a.cidr.family, a.cidr.network)))
    .map((a) => a.text);
}

function publishElements(p: PortMapping, target: Attachment, family: 4 | 6): { set: string; element: string } {
  const ip = family === 4 ? target.ip4! : target.ip6!;
  const value = `${ip} . ${p.containerPort}`;
  if (p.hostIp && wildcardFamily(p.hostIp) === undefined) return { set: family === 4 ? "pub4_addr" : "pub6_addr", element: `${p.hostIp} . ${p.protocol} . ${p.hostPort} : ${value}` };
  return { set: family === 4 ? "pub4" : "pub6", element: `${p.protocol} . ${p.hostPort} : ${value}` };
}

/** Kept between compiles of the store's frozen lists (nft-delta/): a change makes the elements of what it wrote. */
const kept = new KeptElements();

export function compileNft(state: DesiredState, runtime: ServiceRuntime = EMPTY_RUNTIME, options: CompileOptions = DEFAULT_COMPILE_OPTIONS): NftPlan {
  const own: SetElement[] = [];
  const add = (name: string, element: string) => void own.push([name, element]);
  const networks = new Map(state.networks.map((n) => [n.id, n]));
  const byName = new Map(state.networks.map((n) => [n.name, n]));

  for (const i of options.overlay?.ifnames ?? []) {
    add("overlay_ifs", q(i));
    if (options.overlay!.owned !== false) add("owned_ifs", q(i));
  }
  for (const c of options.overlay?.cidrs4 ?? []) add("cluster4", c);
  for (const c of options.overlay?.cidrs6 ?? []) add("cluster6", c);
  if (options.overlay?.hostSource) {
    const src = overlaySources(state, options.overlay.cidrs4, options.overlay.cidrs6 ?? []);
    for (const e of src.v4) add("overlay_src4", e);
    for (const e of src.v6) add("overlay_src6", e);
  }
  compileRouted(state, add);
  for (const n of state.networks) {
    if (n.driver !== "bridge") continue;
    add("bridges", q(n.bridge));
    add("owned_ifs", q(n.bridge));
    if (!hostAccessOf(n)) add("no_host_access", q(n.bridge));
    for (const proto of options.dnsPort ? ["tcp", "udp"] : []) {
      if (n.gateway4) add("gw_dns4", `${q(n.bridge)} . ${n.gateway4} . ${proto} . ${options.dnsPort}`);
      if (n.gateway6) add("gw_dns6", `${q(n.bridge)} . ${n.gateway6} . ${proto} . ${options.dnsPort}`);
    }
    add("same_bridge", `${q(n.bridge)} . ${q(n.bridge)}`);
    if (!n.icc) add("icc_off_bridges", q(n.bridge));
    if (n.internal) add("internal_bridges", q(n.bridge));
    if (n.subnet4) add("subnets4", n.subnet4);
    if (n.subnet6) add("subnets6", n.subnet6);
    if (n.gatewayMode === "routed") add("routed_gw_bridges", q(n.bridge));
    if (n.masquerade && !n.internal && n.gatewayMode !== "routed") {
      if (n.subnet4) add("masq4", n.subnet4);
      if (n.subnet6) add("masq6", n.subnet6);
    }
    for (const otherName of n.routesTo) {
      const other = byName.get(otherName);
      if (!other || other.driver !== "bridge") continue; // a routed other: compileRouted
      add("routed", `${q(n.bridge)} . ${q(other.bridge)}`);
      add("routed", `${q(other.bridge)} . ${q(n.bridge)}`);
    }
  }

  // Per workload: its routed veths' elements and its published ports. Only the store's frozen lists
  // can be kept from the last compile (a test's own state may be edited in place): others start over.
  const frozen = Object.isFrozen(state.workloads) && Object.isFrozen(state.attachments);
  const parts = frozen ? kept : new KeptElements();
  parts.update(state, `${options.dnsPort}\n${JSON.stringify(state.networks)}`, (w, attachments) => workloadPart(w, attachments, networks, options));
  const allow = new Map<string, string[]>();
  for (const list of parts.allowOf.values()) for (const [key, cidrs] of list) allow.set(key, [...(allow.get(key) ?? []), ...cidrs]);
  for (const [key, cidrs] of allow) {
    add("pub_restricted", key);
    for (const c of withoutContained(cidrs)) add(familyOf(c) === 4 ? "pub_allow4" : "pub_allow6", `${c} . ${key}`);
  }

  const services = compileServices(state, runtime);
  const policy = compilePolicyFragment(state, options.policyDelta !== false);
  for (const id of loggedAllowIds(policy, statePolicies(state))) add("flow_log_ids", id);
  const offload = compileOffload(state, options.flowOffload ?? false);
  parts.elements.set("\0state", own);

  return {
    // Shared with the kept state and the last plan: never edited in place.
    sets: SET_DECLS.map((d) => ({ ...d, elements: parts.elements.array(d.name) as string[] })),
    userRules: state.userRules.flatMap((r) => userRuleWithLog(r.rule, r.id)),
    ...(services.length ? { services } : {}),
    policy,
    flowRecord: flowRecordRules(options.flowLog, options.ctLabels !== false),
    recordInForward: state.userRules.length === 0,
    forwardOthers: options.forwardOthers === "drop" ? [`goto ${DROP_REASONS.foreignForward.chain}`] : [],
    l7InUse: policy.l7.length > 0,
    egressTproxy: l7EgressTproxyRules(options.tproxy !== false),
    ...(offload ? { offload } : {}),
  };
}

/** One workload's elements: its routed veths' (whatever its state, as its veths exist) and its published ports'. */
function workloadPart(w: Workload | undefined, attachments: Attachment[], networks: Map<string, Network>, options: CompileOptions): WorkloadPart {
  const elements: SetElement[] = [];
  const add = (set: string, element: string) => void elements.push([set, element]);
  for (const a of attachments) routedAttachment(a, networks.get(a.networkId), options, add);
  const allow = new Map<string, string[]>();
  if (w) publishWorkload(w, attachments.filter((a) => crossesHost(networks.get(a.networkId))), networks, add, allow);
  return { elements, allow: [...allow] };
}

/**
 * A routed network's elements: each workload veth joins the per-interface sets a bridge joins, and
 * one wildcard pair per network (and per --route-to peer) stands for all of its veths.
 */
function compileRouted(state: DesiredState, add: (set: string, element: string) => void): void {
  const byName = new Map(state.networks.map((n) => [n.name, n]));
  for (const n of state.networks) {
    if (n.driver !== "routed") continue;
    add("same_network_ifs", `${wild(n)} . ${wild(n)}`);
    if (n.subnet4) add("subnets4", n.subnet4);
    if (n.subnet6) add("subnets6", n.subnet6);
    if (n.masquerade && !n.internal && n.gatewayMode !== "routed") {
      if (n.subnet4) add("masq4", n.subnet4);
      if (n.subnet6) add("masq6", n.subnet6);
    }
    for (const otherName of n.routesTo) {
      const other = byName.get(otherName);
      if (!other || !crossesHost(other)) continue;
      const theirs = other.driver === "routed" ? wild(other) : q(other.bridge);
      add("routed_ifs", `${wild(n)} . ${theirs}`);
      add("routed_ifs", `${theirs} . ${wild(n)}`);
    }
  }
}

const wild = (n: Network) => q(`${routedIfPrefix(n.id)}*`);

/** A routed workload veth in the per-interface sets a bridge joins. */
function routedAttachment(a: Attachment, n: Network | undefined, options: CompileOptions, add: (set: string, element: string) => void): void {
  if (n?.driver !== "routed" || !a.hostIfname) return;
  const v = q(a.hostIfname);
  add("bridges", v);
  add("owned_ifs", v);
  if (!n.icc) add("icc_off_bridges", v);
  if (n.internal) add("internal_bridges", v);
  if (n.gatewayMode === "routed") add("routed_gw_bridges", v);
  // The gateway's DNS matters only where the rest of the host is refused (input accepts otherwise).
  if (hostAccessOf(n)) return;
  add("no_host_access", v);
  for (const proto of options.dnsPort ? ["tcp", "udp"] : []) {
    if (a.ip4 && n.gateway4) add("gw_dns4", `${v} . ${n.gateway4} . ${proto} . ${options.dnsPort}`);
    if (a.ip6 && n.gateway6) add("gw_dns6", `${v} . ${n.gateway6} . ${proto} . ${options.dnsPort}`);
  }
}

function publishWorkload(
  w: Workload,
  attachments: Attachment[],
  networks: Map<string, Network>,
  add: (set: string, element: string) => void,
  allow: Map<string, string[]>,
): void {
  if (w.state === "removing") return;
  for (const p of w.ports) {
    // [::1] is relayed by the port holder: the kernel never routes a ::1-sourced packet off the host.
    const families = p.hostIp === "::1" ? [] : portFamilies(p);
    for (const family of families) {
      const target = portTarget(attachments, networks, family);
      if (!target) continue;
      const { set, element } = publishElements(p, target, family);
      add(set, element);
      const direct = directElement(p, target, networks.get(target.networkId)!, family);
      if (direct) add(family === 4 ? "direct4" : "direct6", direct);
    }
    if (p.allowFrom.length > 0) {
      const key = `${p.protocol} . ${p.hostPort}`;
      allow.set(key, [...(allow.get(key) ?? []), ...p.allowFrom]);
    }
  }
}

/**
 * Gateway mode routed: the published container port at the workload's own address, for clients
 * routed to the network. Not for ports bound to loopback (this host's alone) or restricted with
 * --allow-from (the allow-list is checked on the host port only).
 */
function directElement(p: PortMapping, target: Attachment, n: Network, family: 4 | 6): string | undefined {
  if (n.gatewayMode !== "routed" || p.allowFrom.length > 0) return undefined;
  if (p.hostIp === "::1" || p.hostIp?.startsWith("127.")) return undefined;
  return `${family === 4 ? target.ip4! : target.ip6!} . ${p.protocol} . ${p.containerPort}`;
}

/** Does this address belong to one of the given networks? (used by validation) */
export function networkOfAddress(state: DesiredState, ip: string): Network | undefined {
  const parsed = parseIp(ip);
  if (!parsed) return undefined;
  return state.networks.find((n) => {
    const subnet = parsed.family === 4 ? n.subnet4 : n.subnet6;
    return subnet !== undefined && cidrContains(parseCidr(subnet), parsed.family, parsed.value);
  });
}
