// Where a workload's resolv.conf and hosts live. `ip netns exec NAME` bind-mounts the files of
// /etc/netns/NAME over /etc, so Ponton can give them to a workload whose namespace has a name:
// its own, or one it was given as /run/netns/NAME (`run --netns`). A namespace given by any other
// path (/proc/PID/ns/net, a runtime's bind mount) or by a CNI runtime has no such name: the runtime
// that made it owns /etc there (as podman, containerd and the kubelet do), and `inspect` says so.
import path from "node:path";
import type { Workload } from "../../model/types";

export const NETNS_RUN_DIR = "/run/netns";

export function etcNetnsName(w: Pick<Workload, "netnsMode" | "netns" | "cni">): string | undefined {
  if (w.netnsMode === "owned") return w.netns;
  if (w.netnsMode !== "path" || w.cni) return undefined;
  const p = path.resolve(w.netns);
  return path.dirname(p) === NETNS_RUN_DIR ? path.basename(p) : undefined;
}

/** What `inspect` shows as etcFiles. */
export function etcFilesOf(netnsEtcDir: string, w: Pick<Workload, "netnsMode" | "netns" | "cni">): string {
  const name = etcNetnsName(w);
  if (name) return path.join(netnsEtcDir, name);
  if (w.netnsMode === "host") return "the host's /etc (host network)";
  return "owned by the runtime that made the namespace (Ponton writes no resolv.conf or hosts there)";
}
