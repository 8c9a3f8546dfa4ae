// pontond mounts each workload's network namespace on /run/netns/NAME. Started in a private mount
// namespace (`ip netns exec`, `unshare -m`, a service with PrivateTmp=), those mounts never reach
// the rest of the machine: `ip netns`, `ponton exec` and runtimes would not see them, and files
// left in /run/netns would stay unmounted after it stops. So pontond refuses to start there.
import { readFileSync, readlinkSync } from "node:fs";
import { EngineError } from "../errors";

export const NETNS_DIR = "/run/netns";

interface Mount {
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
      return { mountPoint, ...(shared ? { sharedGroup: Number(shared.slice(7)) } : {}) };
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
 * Whether mounts made under `dir` in our mount namespace appear in init's: the mount holding `dir`
 * is shared, in a peer group that init's namespace also has (a slave or private copy is not).
 */
export function mountsPropagate(ownMountInfo: string, initMountInfo: string, dir = NETNS_DIR): boolean {
  const group = coveringMount(parseMountInfo(ownMountInfo), dir)?.sharedGroup;
  if (group === undefined) return false;
  return parseMountInfo(initMountInfo).some((m) => m.sharedGroup === group);
}

/** Refuses a private mount namespace, naming the reason and the fix. */
export function checkMountNamespace(): void {
  let own: string;
  let init: string;
  try {
    own = readlinkSync("/proc/self/ns/mnt");
    init = readlinkSync("/proc/1/ns/mnt");
  } catch {
    return; // not allowed to look (not root): nothing to compare with
  }
  if (own === init) return;
  if (mountsPropagate(readFileSync("/proc/self/mountinfo", "utf8"), readFileSync("/proc/1/mountinfo", "utf8"))) return;
  throw new EngineError(
    "PRIVATE_MOUNT_NAMESPACE",
    `start pontond: it runs in a private mount namespace (${own}, init has ${init}) whose mounts under ${NETNS_DIR} do not reach the rest of the machine, so the workload namespaces it mounts would be invisible and left unmounted in ${NETNS_DIR} when it stops`,
    { hint: `enter only the network namespace: 'nsenter --net=${NETNS_DIR}/NAME pontond …' (not 'ip netns exec' or 'unshare -m')` },
  );
}
