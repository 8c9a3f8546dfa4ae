// The socket's mode is set explicitly: 0660 root:GROUP when the group exists, 0600 otherwise, even
// under umask 000; a member of the group connects, others get EACCES.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { groupId, listenPrivately } from "./socket-access";

const run = promisify(execFile);

/** Connect as nobody (primary group nogroup, no others): "ok" or the errno. */
async function connectAsNobody(socket: string, groups: string[]): Promise<string> {
  const script = `require("net").connect(${JSON.stringify(socket)}).on("connect", () => { console.log("ok"); process.exit(0); }).on("error", (e) => { console.log(e.code); process.exit(0); })`;
  const { stdout } = await run("setpriv", ["--reuid=65534", "--regid=65534", ...groups, process.execPath, "-e", script]);
  return stdout.trim();
}

async function withSocket(group: string, fn: (socket: string, r: { mode: number; gid?: number }) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ponton-sock-"));
  chmodSync(dir, 0o755);
  const socket = path.join(dir, "api.sock");
  const server = net.createServer((c) => c.end());
  const old = process.umask(0);
  try {
    const r = await listenPrivately(server, socket, group);
    process.umask(old);
    await fn(socket, r);
  } finally {
    process.umask(old);
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test("no such group: 0600, and nobody is refused", async () => {
  assert.equal(groupId("ponton-no-such-group"), undefined);
  await withSocket("ponton-no-such-group", async (socket, r) => {
    assert.deepEqual(r, { mode: 0o600 });
    assert.equal(statSync(socket).mode & 0o777, 0o600);
    assert.equal(await connectAsNobody(socket, ["--clear-groups"]), "EACCES");
  });
});

test("the group exists: 0660 owned by root and that group; its members connect, others do not", async () => {
  const gid = groupId("nogroup"); // Debian's, nobody's primary group
  assert.equal(gid, 65534);
  await withSocket("nogroup", async (socket, r) => {
    assert.deepEqual(r, { mode: 0o660, gid });
    const st = statSync(socket);
    assert.deepEqual([st.mode & 0o777, st.uid, st.gid], [0o660, 0, gid]);
    assert.equal(await connectAsNobody(socket, ["--clear-groups"]), "ok", "a member of the group (here its primary one)");
    assert.equal(await run("setpriv", ["--reuid=65534", "--regid=65533", "--clear-groups", process.execPath, "-e", `require("net").connect(${JSON.stringify(socket)}).on("connect", () => console.log("ok")).on("error", (e) => console.log(e.code))`]).then((x) => x.stdout.trim()), "EACCES", "not a member");
  });
});
