// Pure: `CiliumL2AnnouncementPolicy` objects (cilium.io/v2alpha1) into records. Its whole spec is
// implemented; any other key is refused naming the field.
import { EngineError } from "../../errors";
import { parseKindManifests } from "./kind-manifests";
import { parseSelector, PolicyError, type LabelSelector } from "../../policy";
import { validateName } from "../names";

export const L2_POLICY_KIND = "CiliumL2AnnouncementPolicy";
const API_VERSIONS = new Set(["cilium.io/v2alpha1", "cilium.io/v2"]);

export interface L2Policy {
  name: string;
  /** Absent: every LoadBalancer service (as Cilium). */
  serviceSelector?: LabelSelector;
  /** Absent: every node. */
  nodeSelector?: LabelSelector;
  /** Regular expressions (JavaScript syntax, unanchored as Cilium's Go ones) over interface names; empty: every interface Ponton does not own. */
  interfaces: string[];
  /** Answer for the services' LoadBalancer addresses. */
  loadBalancerIPs: boolean;
  /** Answer for the services' external IPs. */
  externalIPs: boolean;
  project?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const fail = (path: string, message: string): never => {
  throw new EngineError("INVALID_YAML", `${path}: ${message}`);
};

function selector(v: unknown, path: string): LabelSelector | undefined {
  if (v === undefined || v === null) return undefined;
  try {
    return parseSelector(v, path);
  } catch (e) {
    return fail(e instanceof PolicyError ? e.path : path, e instanceof PolicyError ? e.reason : (e as Error).message);
  }
}

function bool(v: unknown, path: string): boolean {
  if (v === undefined || v === null) return false;
  return typeof v === "boolean" ? v : fail(path, `expected true or false, not '${String(v)}'`);
}

/** One CiliumL2AnnouncementPolicy object. `at` names it in errors (e.g. "documents[1]"). */
export function l2PolicyFromManifest(doc: unknown, at: string): L2Policy {
  if (!isObj(doc)) return fail(at, "expected a map");
  if (doc.kind !== L2_POLICY_KIND) fail(`${at}.kind`, `expected ${L2_POLICY_KIND}, not '${String(doc.kind)}'`);
  if (!API_VERSIONS.has(String(doc.apiVersion))) fail(`${at}.apiVersion`, `expected cilium.io/v2alpha1, not '${String(doc.apiVersion)}'`);
  const meta = isObj(doc.metadata) ? doc.metadata : fail(`${at}.metadata`, "required, with a name");
  const name = typeof meta.name === "string" ? meta.name : fail(`${at}.metadata.name`, "required");
  try {
    validateName("L2 policy", name);
  } catch (e) {
    fail(`${at}.metadata.name`, (e as Error).message);
  }
  const path = `${L2_POLICY_KIND} ${name}: spec`;
  const spec = isObj(doc.spec) ? doc.spec : fail(path, "required, with loadBalancerIPs or externalIPs");
  for (const k of Object.keys(spec)) if (!["serviceSelector", "nodeSelector", "interfaces", "externalIPs", "loadBalancerIPs"].includes(k)) fail(`${path}.${k}`, "unknown field");
  const raw = spec.interfaces ?? [];
  if (!Array.isArray(raw)) return fail(`${path}.interfaces`, "expected a list of regular expressions");
  const interfaces = raw.map((r, i) => {
    if (typeof r !== "string" || r === "") return fail(`${path}.interfaces[${i}]`, "expected a regular expression");
    try {
      new RegExp(r);
    } catch (e) {
      fail(`${path}.interfaces[${i}]`, `'${r}' is not a regular expression: ${(e as Error).message}`);
    }
    return r;
  });
  const serviceSelector = selector(spec.serviceSelector, `${path}.serviceSelector`);
  const nodeSelector = selector(spec.nodeSelector, `${path}.nodeSelector`);
  return {
    name,
    ...(serviceSelector ? { serviceSelector } : {}),
    ...(nodeSelector ? { nodeSelector } : {}),
    interfaces,
    loadBalancerIPs: bool(spec.loadBalancerIPs, `${path}.loadBalancerIPs`),
    externalIPs: bool(spec.externalIPs, `${path}.externalIPs`),
  };
}

/** `ponton l2-policy apply -f FILE`: several documents or a List. */
export function parseL2PolicyManifests(text: string): L2Policy[] {
  return parseKindManifests(text, L2_POLICY_KIND, "L2 policy", l2PolicyFromManifest);
}
