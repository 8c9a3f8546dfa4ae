// Pure: `CiliumL2AnnouncementPolicy` objects (cilium.io/v2alpha1) into records. Its whole spec is
// implemented; any other key is refused naming the field.
import { fail, isObj, manifestName, parseKindManifests, selector } from "./kind-manifests";
import type { LabelSelector } from "../../policy";

export const L2_POLICY_KIND = "CiliumL2AnnouncementPolicy";
const API_VERSIONS = ["cilium.io/v2alpha1", "cilium.io/v2"];

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



function bool(v: unknown, path: string): boolean {
  if (v === undefined || v === null) return false;
  return typeof v === "boolean" ? v : fail(path, `expected true or false, not '${String(v)}'`);
}

/** One CiliumL2AnnouncementPolicy object. `at` names it in errors (e.g. "documents[1]"). */
export function l2PolicyFromManifest(manifest: unknown, at: string): L2Policy {
  const { doc, name } = manifestName(manifest, at, L2_POLICY_KIND, API_VERSIONS, "cilium.io/v2alpha1", "L2 policy");
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
