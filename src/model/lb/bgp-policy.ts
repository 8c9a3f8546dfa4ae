// Pure: `CiliumBGPPeeringPolicy` (cilium.io/v2alpha1) objects into records. Fields that would change
// behaviour and are not implemented are refused naming the field.
import { fail, isObj, manifestName, parseKindManifests, selector } from "./kind-manifests";
import type { LabelSelector } from "../../policy";
import { formatIp, parseIp } from "../ip";

export const BGP_POLICY_KIND = "CiliumBGPPeeringPolicy";

export interface BgpNeighbor {
  /** Without the /32 (/128) Cilium's examples carry. */
  peerAddress: string;
  peerASN: number;
  peerPort?: number;
  holdTimeSeconds?: number;
  keepAliveTimeSeconds?: number;
  connectRetryTimeSeconds?: number;
  /** Graceful restart (on unless gracefulRestart.enabled is false), and its restart time. */
  gracefulRestart: boolean;
  restartTimeSeconds?: number;
}

export interface BgpVirtualRouter {
  localASN: number;
  /** Announce this host's pod ranges (its routed networks' subnets). */
  exportPodCIDR: boolean;
  /** Absent: no service is announced (as Cilium). */
  serviceSelector?: LabelSelector;
  neighbors: BgpNeighbor[];
}

export interface BgpPolicy {
  name: string;
  /** Absent: every node. */
  nodeSelector?: LabelSelector;
  virtualRouters: BgpVirtualRouter[];
  project?: string;
}

function keys(o: Record<string, unknown>, allowed: string[], refused: Record<string, string>, path: string): void {
  for (const k of Object.keys(o)) {
    if (refused[k] !== undefined) fail(`${path}.${k}`, `not supported: ${refused[k]}`);
    if (!allowed.includes(k)) fail(`${path}.${k}`, "unknown field");
  }
}
function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) return fail(path, `expected a whole number from ${min} to ${max}, not '${String(v)}'`);
  return v;
}

const ASN_MAX = 4294967295;

function neighbor(raw: unknown, path: string): BgpNeighbor {
  if (!isObj(raw)) return fail(path, "expected a map with peerAddress and peerASN");
  keys(raw, ["peerAddress", "peerASN", "peerPort", "holdTimeSeconds", "keepAliveTimeSeconds", "connectRetryTimeSeconds", "gracefulRestart"], {
    authSecretRef: "TCP MD5 authentication is not implemented",
    eBGPMultihopTTL: "multihop eBGP is not implemented (peers are directly connected)",
    families: "IPv4 and IPv6 unicast are announced to every peer",
    advertisedPathAttributes: "communities and local preference are not implemented",
  }, path);
  const m = typeof raw.peerAddress === "string" ? /^([^/]+)(\/(32|128))?$/.exec(raw.peerAddress) : null;
  const ip = m ? parseIp(m[1]!) : undefined;
  if (!ip || (m![3] === "32" && ip.family !== 4) || (m![3] === "128" && ip.family !== 6)) return fail(`${path}.peerAddress`, `'${String(raw.peerAddress)}' is not an address (optionally /32 or /128)`);
  const gr = raw.gracefulRestart === undefined ? {} : isObj(raw.gracefulRestart) ? raw.gracefulRestart : fail(`${path}.gracefulRestart`, "expected a map");
  keys(gr, ["enabled", "restartTimeSeconds"], {}, `${path}.gracefulRestart`);
  if (gr.enabled !== undefined && typeof gr.enabled !== "boolean") fail(`${path}.gracefulRestart.enabled`, "expected true or false");
  const opt = (k: string, min: number, max: number) => (raw[k] === undefined ? {} : { [k]: int(raw[k], `${path}.${k}`, min, max) });
  return {
    peerAddress: formatIp(ip.family, ip.value),
    peerASN: int(raw.peerASN, `${path}.peerASN`, 1, ASN_MAX),
    ...opt("peerPort", 1, 65535),
    ...opt("holdTimeSeconds", 3, 65535),
    ...opt("keepAliveTimeSeconds", 1, 65535),
    ...opt("connectRetryTimeSeconds", 1, 65535),
    gracefulRestart: gr.enabled !== false,
    ...(gr.restartTimeSeconds !== undefined ? { restartTimeSeconds: int(gr.restartTimeSeconds, `${path}.gracefulRestart.restartTimeSeconds`, 1, 4095) } : {}),
  };
}

function virtualRouter(raw: unknown, path: string): BgpVirtualRouter {
  if (!isObj(raw)) return fail(path, "expected a map with localASN and neighbors");
  keys(raw, ["localASN", "exportPodCIDR", "serviceSelector", "serviceAdvertisements", "neighbors"], { podIPPoolSelector: "multi-pool pod IPAM is not implemented" }, path);
  const ads = raw.serviceAdvertisements;
  if (ads !== undefined && (!Array.isArray(ads) || ads.some((a) => a !== "LoadBalancerIP"))) fail(`${path}.serviceAdvertisements`, "only [LoadBalancerIP] is implemented");
  if (raw.exportPodCIDR !== undefined && typeof raw.exportPodCIDR !== "boolean") fail(`${path}.exportPodCIDR`, "expected true or false");
  if (!Array.isArray(raw.neighbors)) return fail(`${path}.neighbors`, "required, a list");
  const neighbors = raw.neighbors.map((n, i) => neighbor(n, `${path}.neighbors[${i}]`));
  const dup = neighbors.find((n, i) => neighbors.findIndex((x) => x.peerAddress === n.peerAddress) !== i);
  if (dup) fail(`${path}.neighbors`, `peer ${dup.peerAddress} is listed twice`);
  const serviceSelector = selector(raw.serviceSelector, `${path}.serviceSelector`);
  return { localASN: int(raw.localASN, `${path}.localASN`, 1, ASN_MAX), exportPodCIDR: raw.exportPodCIDR === true, ...(serviceSelector ? { serviceSelector } : {}), neighbors };
}

/** One CiliumBGPPeeringPolicy object. `at` names it in errors. */
export function bgpPolicyFromManifest(manifest: unknown, at: string): BgpPolicy {
  const { doc, name } = manifestName(manifest, at, BGP_POLICY_KIND, ["cilium.io/v2alpha1"], "cilium.io/v2alpha1", "BGP policy");
  const path = `${BGP_POLICY_KIND} ${name}: spec`;
  const spec = isObj(doc.spec) ? doc.spec : fail(path, "required, with virtualRouters");
  keys(spec, ["nodeSelector", "virtualRouters"], {}, path);
  if (!Array.isArray(spec.virtualRouters) || spec.virtualRouters.length === 0) fail(`${path}.virtualRouters`, "required, a non-empty list");
  const virtualRouters = (spec.virtualRouters as unknown[]).map((r, i) => virtualRouter(r, `${path}.virtualRouters[${i}]`));
  // One speaker per host: one BGP instance (Cilium allows one virtual router per ASN too).
  if (virtualRouters.length > 1) fail(`${path}.virtualRouters[1]`, "not supported: one virtual router per node");
  const nodeSelector = selector(spec.nodeSelector, `${path}.nodeSelector`);
  return { name, ...(nodeSelector ? { nodeSelector } : {}), virtualRouters };
}

/** `ponton bgp apply -f FILE`: several documents or a List. */
export function parseBgpPolicyManifests(text: string): BgpPolicy[] {
  return parseKindManifests(text, BGP_POLICY_KIND, "BGP policy", bgpPolicyFromManifest);
}
