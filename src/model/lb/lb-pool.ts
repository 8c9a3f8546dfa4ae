// Pure: `CiliumLoadBalancerIPPool` objects (cilium.io/v2alpha1 and v2) into pool records. Fields
// that would change behaviour and are not implemented are refused naming the field; status and
// metadata other than the name change nothing here.
import { fail, isObj, manifestName, parseKindManifests, selector } from "./kind-manifests";
import type { LabelSelector } from "../../policy";
import { bits, formatIp, lastAddress, parseCidr, parseIp, type Family } from "../ip";

export const LB_POOL_KIND = "CiliumLoadBalancerIPPool";
const API_VERSIONS = ["cilium.io/v2alpha1", "cilium.io/v2"];
const SPEC_KEYS = new Set(["blocks", "cidrs", "serviceSelector", "disabled", "allowFirstLastIPs"]);

/** One block of addresses, both ends included, as the allocator walks it. */
export interface LbBlock {
  /** What the manifest said: "10.0.10.0/24" or "10.0.10.5-10.0.10.9". */
  text: string;
  family: Family;
  /** First and last address (text: records are stored as JSON). */
  first: string;
  last: string;
}

export interface LbPool {
  name: string;
  blocks: LbBlock[];
  /** Absent: the pool serves every LoadBalancer service. */
  serviceSelector?: LabelSelector;
  /** A disabled pool hands out no new address; services keep the ones they have (as Cilium does). */
  disabled: boolean;
  project?: string;
  /** Cluster mode: the pool is the cluster's (etcd holds it; the mirror owns it here). */
  cluster?: true;
}


/**
 * A cidr block: every address, as Cilium's default (allowFirstLastIPs Yes or unset); with No its
 * network and broadcast addresses are left out, except in a /31, /32 (/127, /128). start/stop: both ends.
 */
function parseBlock(raw: unknown, allowFirstLast: boolean, at: string): LbBlock {
  if (!isObj(raw)) return fail(at, "expected a map with cidr, or start and stop");
  for (const k of Object.keys(raw)) if (!["cidr", "start", "stop"].includes(k)) fail(`${at}.${k}`, "unknown field");
  if (raw.cidr !== undefined) {
    if (raw.start !== undefined || raw.stop !== undefined) fail(at, "give cidr, or start and stop, not both");
    let c;
    try {
      c = parseCidr(String(raw.cidr));
    } catch (e) {
      return fail(`${at}.cidr`, (e as Error).message);
    }
    const trim = !allowFirstLast && bits(c.family) - c.prefix > 1 ? 1n : 0n;
    const [first, last] = [c.network + trim, lastAddress(c) - trim];
    if (first > last) fail(at, `${String(raw.cidr)} holds no usable address`);
    return { text: String(raw.cidr), family: c.family, first: formatIp(c.family, first), last: formatIp(c.family, last) };
  }
  if (typeof raw.start !== "string") return fail(`${at}.start`, "required without cidr (an address)");
  const start = parseIp(raw.start) ?? fail(`${at}.start`, `'${raw.start}' is not an IP address`);
  const stopText = raw.stop === undefined ? raw.start : String(raw.stop);
  const stop = parseIp(stopText) ?? fail(`${at}.stop`, `'${stopText}' is not an IP address`);
  if (stop.family !== start.family) fail(`${at}.stop`, "start and stop must be of the same family");
  if (stop.value < start.value) fail(`${at}.stop`, `${stopText} comes before start ${raw.start}`);
  const [first, last] = [formatIp(start.family, start.value), formatIp(stop.family, stop.value)];
  return { text: `${first}-${last}`, family: start.family, first, last };
}

/** One CiliumLoadBalancerIPPool object. `at` names it in errors (e.g. "documents[1]"). */
export function lbPoolFromManifest(manifest: unknown, at: string): LbPool {
  const { doc, name } = manifestName(manifest, at, LB_POOL_KIND, API_VERSIONS, "cilium.io/v2alpha1 or cilium.io/v2", "pool");
  const path = `${LB_POOL_KIND} ${name}`;
  const spec = isObj(doc.spec) ? doc.spec : fail(`${path}: spec`, "required, with blocks");
  for (const k of Object.keys(spec)) if (!SPEC_KEYS.has(k)) fail(`${path}: spec.${k}`, "unknown field");
  const allow = spec.allowFirstLastIPs ?? "Yes";
  if (allow !== "Yes" && allow !== "No") fail(`${path}: spec.allowFirstLastIPs`, `'${String(allow)}' is not Yes or No`);
  if (spec.disabled !== undefined && typeof spec.disabled !== "boolean") fail(`${path}: spec.disabled`, "expected true or false");
  // `cidrs` is v2alpha1's older name for `blocks` (same entries).
  const field = spec.blocks !== undefined ? "blocks" : "cidrs";
  if (spec.blocks !== undefined && spec.cidrs !== undefined) fail(`${path}: spec.cidrs`, "give blocks or cidrs, not both");
  const raw = spec[field];
  if (!Array.isArray(raw) || raw.length === 0) return fail(`${path}: spec.blocks`, "required, a non-empty list");
  const blocks = raw.map((b, i) => parseBlock(b, allow === "Yes", `${path}: spec.${field}[${i}]`));
  for (const [i, b] of blocks.entries()) {
    const [bf, bl] = blockRange(b);
    const o = blocks.findIndex((x, j) => j < i && x.family === b.family && blockRange(x)[0] <= bl && bf <= blockRange(x)[1]);
    if (o >= 0) fail(`${path}: spec.${field}[${i}]`, `${b.text} overlaps ${blocks[o]!.text}`);
  }
  const serviceSelector = selector(spec.serviceSelector, `${path}: spec.serviceSelector`);
  return { name, blocks, ...(serviceSelector ? { serviceSelector } : {}), disabled: spec.disabled === true };
}

/** Is this parsed document a pool? (`ponton up` sorts documents by kind) */
export const isLbPoolKind = (kind: unknown) => kind === LB_POOL_KIND;

/** `ponton lb-pool apply -f FILE`: YAML or JSON, several documents or a List of pools. */
export function parseLbPoolManifests(text: string): LbPool[] {
  return parseKindManifests(text, LB_POOL_KIND, "pool", lbPoolFromManifest);
}

/** A block's first and last address as numbers. */
export const blockRange = (b: LbBlock): [bigint, bigint] => [parseIp(b.first)!.value, parseIp(b.last)!.value];

/** Does a pool hold this address? */
export function poolHolds(pool: LbPool, family: Family, value: bigint): boolean {
  return pool.blocks.some((b) => {
    if (b.family !== family) return false;
    const [first, last] = blockRange(b);
    return value >= first && value <= last;
  });
}

/** How many addresses the pool holds (both families), for `lb-pool ls`. */
export function poolSize(pool: LbPool): bigint {
  return pool.blocks.reduce((n, b) => n + blockRange(b)[1] - blockRange(b)[0] + 1n, 0n);
}
