// Who may use the API socket. It creates workloads as root, so using it is root-equivalent (like
// the docker group): the owner (root) and, when it exists, the group `ponton`; nobody else.
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync } from "node:fs";
import type { Server } from "node:net";

export const SOCKET_GROUP = "ponton";

/** The gid of a group through NSS (`getent`), or undefined when there is no such group. */
export function groupId(name: string): number | undefined {
  try {
    const line = execFileSync("getent", ["group", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const gid = Number(line.split(":")[2]);
    return Number.isInteger(gid) ? gid : undefined;
  } catch {
    return undefined; // exit 2: no such group
  }
}

/**
 * Listens on `socket` and sets its mode explicitly: 0660 root:ponton, or 0600 without that group.
 * The umask is narrowed around bind() (synchronous for a unix socket), so the socket is never
 * reachable by others before the chmod, whatever umask pontond was started with.
 */
export async function listenPrivately(server: Server, socket: string, group = SOCKET_GROUP): Promise<{ mode: number; gid?: number }> {
  const listening = new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const old = process.umask(0o177);
  try {
    server.listen(socket);
  } finally {
    process.umask(old);
  }
  await listening;
  const gid = groupId(group);
  if (gid === undefined) {
    chmodSync(socket, 0o600);
    return { mode: 0o600 };
  }
  chownSync(socket, process.getuid?.() ?? 0, gid);
  chmodSync(socket, 0o660);
  return { mode: 0o660, gid };
}
