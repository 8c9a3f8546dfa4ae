// pontond mounts each workload's network namespace on /run/netns/NAME. Started in a private mount
// namespace (`ip netns exec`, `unshare -m`, a service with PrivateTmp=), those mounts never reach
// the rest of the machine: `ip netns`, `ponton exec` and runtimes would not see them, and files
// left in /run/netns would stay unmounted after it stops. So pontond refuses to start there.
import { readFileSync } from "node:fs";
import { EngineError } from "../errors";

export const NETNS_DIR = "/run/netns";

interface Mount {
  /** Unique per mount on the machine: a new mount namespace gets copies with new ids. */
  id: number;
  mountPoint: string;
  /** The `shared:N` peer group, when the mount propagates to its peers. */
  sharedGroup?: number;
}

/** The mounts of a /proc/PID/mountinfo text, in its order (a later one covers an earlier one). */
export function parseMountInfo(text: string): Mount[] {
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const fields = line.split(" ");
      const optional = fields.slice(6, fields.indexOf("-"));
      const shared = optional.find((f) => f.startsWith("shared:"));
      const mountPoint = fields[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      return { id: Number(fields[0]), mountPoint, ...(shared ? { sharedGroup: Number(shared.slice(7)) } : {}) };
    });
}

/** The mount that holds `dir`: the last listed among those whose mount point is its longest prefix. */
function coveringMount(mounts: Mount[], dir: string): Mount | undefined {
  let best: Mount | undefined;
  for (const m of mounts) {
    const covers = m.mountPoint === "/" || m.mountPoint === dir || dir.startsWith(`${m.mountPoint}/`);
    if (covers && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

/**
 * Whether mounts made under `dir` in our mount namespace appear in init's (PID 1's): we are in
 * init's namespace (its root mount has our root mount's id), or the mount holding `dir` is shared
 * in a peer group that init's namespace also has (a slave or private copy is not). Mount ids are
 * compared rather than /proc/1/ns/mnt, which root cannot read without ptrace rights over PID 1
 * (in a container, for one).
 */
export function mountsPropagate(ownMountInfo: string, initMountInfo: string, dir = NETNS_DIR): boolean {
  const own = parseMountInfo(ownMountInfo);
  const init = parseMountInfo(initMountInfo);
  if (coveringMount(own, "/")?.id === coveringMount(init, "/")?.id) return true;
  const group = coveringMount(own, dir)?.sharedGroup;
  return group !== undefined && init.some((m) => m.sharedGroup === group);
}

/** Refuses a private mount namespace, naming the reason and the fix. */
export function checkMountNamespace(): void {
  let own: string;
  let init: string;
  try {
    own = readFileSync("/proc/self/mountinfo", "utf8");
    init = readFileSync("/proc/1/mountinfo", "utf8");
  } catch {
    return; // not allowed to look: nothing to compare with
  }
  if (mountsPropagate(own, init)) return;
  throw new EngineError(
    "PRIVATE_MOUNT_NAMESPACE",
    `start pontond: it runs in a private mount namespace whose mounts under ${NETNS_DIR} do not reach the rest of the machine, so the workload namespaces it mounts would be invisible and left unmounted in ${NETNS_DIR} when it stops`,
    { hint: `enter only the network namespace: 'nsenter --net=${NETNS_DIR}/NAME pontond …' (not 'ip netns exec' or 'unshare -m')` },
  );
}
