// The Ponton workload name of a CNI attachment, shown in `ponton ls` and used as its DNS name.
import { createHash } from "node:crypto";
import type { CniEnv } from "./env";

const NAME_OK = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/**
 * A runtime's own name for the container when it gives one (K8S_POD_NAME: podman and kubelet
 * pass it), else cni-<container id, shortened>. A second interface gets its ifname appended.
 * `taken` says whether a name is held by another workload; the container ID then disambiguates.
 */
export function workloadName(env: CniEnv, taken: (name: string) => boolean): string {
  const clean = (s: string) => s.replace(/[^a-zA-Z0-9_.-]/g, "_");
  const cid = env.containerId;
  const short = cid.length <= 24 ? cid : `${cid.slice(0, 12)}${createHash("sha256").update(cid).digest("hex").slice(0, 6)}`;
  const pod = env.args.K8S_POD_NAME && NAME_OK.test(env.args.K8S_POD_NAME) ? env.args.K8S_POD_NAME : undefined;
  const suffix = env.ifname === "eth0" ? "" : `-${clean(env.ifname)}`;
  const candidates = [...(pod ? [`${pod}${suffix}`, `${pod}-${short}${suffix}`] : []), `cni-${short}${suffix}`];
  const fit = candidates.map((c) => c.slice(0, 63)).filter((c) => NAME_OK.test(c));
  return fit.find((c) => !taken(c)) ?? fit[fit.length - 1]!;
}
