// Privileges and secrets (issue 14): pontond started with umask 000 still keeps its state, logs and
// socket from other users; a workload's command never sees pontond's environment; the namespace
// name label cannot be forged to pass a policy; pontond refuses a private mount namespace; the
// CLI reports a refused or dying daemon as DAEMON_UNAVAILABLE; removed workloads leave no log.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { eventually, sh, TestHost, type Result } from "../harness";

const BIN = path.resolve(__dirname, "..", "..", "..", "..", "bin");
const NOBODY = ["--reuid=65534", "--regid=65534", "--clear-groups"];
const mode = (file: string) => statSync(file).mode & 0o777;
const asNobody = (cmd: string, args: string[]): Promise<Result> => sh("setpriv", [...NOBODY, cmd, ...args], { timeoutMs: 20_000 });
const SECRET = "pontond-secret-4711";

async function socketGroup(): Promise<number | undefined> {
  const r = await sh("getent", ["group", "ponton"]);
  return r.code === 0 ? Number(r.stdout.split(":")[2]) : undefined;
}

describe("pontond started with umask 000 and a secret in its environment", () => {
  let h: TestHost;
  before(async () => {
    h = new TestHost("hd");
    // Let others traverse the test's own directory, so only pontond's modes stand in their way.
    chmodSync(h.dir, 0o755);
    h.daemonUmask = 0o000;
    h.daemonEnv = { PONTON_TEST_SECRET: SECRET };
    h.daemonArgs = ["--flow-journal", "on"];
    await h.setUp();
    await h.pontonOk("network", "create", "hn");
  });
  after(() => h?.tearDown());

  const logs = () => path.join(h.stateDir, "logs");
  const logOf = (text: string) => readdirSync(logs()).map((f) => path.join(logs(), f)).find((f) => f.endsWith(".log") && readFileSync(f, "utf8").includes(text));

  test("a workload's command gets PATH, HOME, HOSTNAME, its -e and PONTON_* values, never pontond's environment", async () => {
    await h.pontonOk("run", "--name", "envw", "--network", "none", "-e", "DB_PASSWORD=wl-secret", "--", "sh", "-c", "env; exec sleep 600");
    await h.pontonOk("run", "--name", "rep", "--replicas", "1", "--network", "none", "--", "sh", "-c", "env; exec sleep 600");
    let out = "";
    assert.ok(await eventually(async () => (out = await h.pontonOk("logs", "envw")).includes("HOSTNAME=")), "env printed");
    const env = new Map(out.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    assert.ok(!out.includes(SECRET), `pontond's environment leaked into the workload:\n${out}`);
    assert.equal(env.get("PATH"), "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    assert.equal(env.get("HOME"), "/root");
    assert.equal(env.get("HOSTNAME"), "envw");
    assert.equal(env.get("DB_PASSWORD"), "wl-secret");
    let rep = "";
    assert.ok(await eventually(async () => (rep = await h.pontonOk("logs", "rep-1")).includes("HOSTNAME=")), "replica env printed");
    assert.match(rep, /^PONTON_TEMPLATE=rep$/m);
    assert.match(rep, /^PONTON_REPLICA_INDEX=1$/m);
    assert.match(rep, /^PONTON_REPLICA_NAME=rep-1$/m);
    assert.ok(!rep.includes(SECRET));
  });

  test("state dir 0700, database, WAL, shm, workload logs and flow journal 0600, socket explicitly set", async () => {
    // One flow between the host and a workload, for the journal.
    // A published port, so the port holder (and its log) exists too.
    await h.pontonOk("run", "--name", "fw", "--network", "hn", "-p", "18080:80", "--", "sleep", "600");
    const ip = (JSON.parse(await h.pontonOk("inspect", "fw")) as { networks: { ip4: string }[] }[])[0]!.networks[0]!.ip4;
    const journal = path.join(logs(), "flows.jsonl");
    assert.ok(await eventually(async () => (await h.inHost("ping", ["-c", "1", "-W", "1", ip])).code === 0 && existsSync(journal)), "flow journal written");
    const db = path.join(h.stateDir, "ponton.db");
    assert.equal(mode(h.stateDir), 0o700, "state dir");
    assert.equal(mode(logs()), 0o700, "logs dir");
    for (const f of [db, `${db}-wal`, `${db}-shm`, journal, logOf("DB_PASSWORD=wl-secret")!]) assert.equal(mode(f), 0o600, f);
    for (const f of readdirSync(logs())) assert.equal(mode(path.join(logs(), f)), 0o600, `every log: ${f}`);
    // The workload's resolv.conf: others read it, only root writes it.
    const etc = path.join("/etc/netns", h.ns("fw"));
    assert.deepEqual([mode(etc), mode(path.join(etc, "resolv.conf"))], [0o755, 0o644]);
    const gid = await socketGroup();
    const st = statSync(h.socket);
    assert.equal(st.uid, 0);
    if (gid === undefined) assert.equal(st.mode & 0o777, 0o600, "no ponton group: root only");
    else assert.deepEqual([st.mode & 0o777, st.gid], [0o660, gid], "root and the ponton group");
  });

  test("nobody reads neither the database (workloads' -e) nor the logs, and cannot use the socket", async () => {
    const db = path.join(h.stateDir, "ponton.db");
    assert.match(readFileSync(db).toString("latin1") + readFileSync(`${db}-wal`).toString("latin1"), /wl-secret/, "the secret is in the store");
    for (const f of [db, `${db}-wal`, logOf("DB_PASSWORD=wl-secret")!]) {
      const r = await asNobody("cat", [f]);
      assert.notEqual(r.code, 0, `nobody read ${f}`);
      assert.ok(!r.stdout.includes("wl-secret"));
    }
    const r = await asNobody(process.execPath, [path.join(BIN, "ponton"), "--socket", h.socket, "run", "--name", "evil", "--network", "none", "--", "true"]);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /DAEMON_UNAVAILABLE: permission denied/);
    assert.doesNotMatch(r.stderr, /INTERNAL|bug/);
    assert.equal((await h.ponton("inspect", "evil")).code, 4, "nothing was created");
  });

  test("a removed workload's log goes with it", async () => {
    const log = logOf("DB_PASSWORD=wl-secret");
    assert.ok(log && existsSync(log));
    await h.pontonOk("rm", "envw", "--time", "0");
    assert.equal(existsSync(log), false, "log left behind");
  });

  test("kubernetes.io/metadata.name is the namespace's name: always present, never changed or removed", async () => {
    await h.pontonOk("namespace", "create", "q", "--label", "team=a");
    const q = (JSON.parse(await h.pontonOk("namespace", "ls", "-o", "json")) as { name: string; labels: Record<string, string> }[]).find((n) => n.name === "q")!;
    assert.deepEqual(q.labels, { team: "a", "kubernetes.io/metadata.name": "q" });
    for (const args of [
      ["namespace", "create", "q2", "--label", "kubernetes.io/metadata.name=x"],
      ["namespace", "label", "z", "kubernetes.io/metadata.name=x"],
      ["namespace", "label", "q", "kubernetes.io/metadata.name-"],
    ]) {
      const r = await h.ponton(...args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /INVALID_ARGUMENT: namespace \w+: label kubernetes\.io\/metadata\.name/);
    }
    await h.pontonOk("namespace", "label", "z", "kubernetes.io/metadata.name=z"); // its own name: a no-op
  });

  test("a namespace cannot pass a policy that admits another namespace by its name label", async () => {
    await h.pontonOk("run", "--name", "srv", "--network", "hn", "--namespace", "y", "--label", "app=srv", "--", "socat", "TCP-LISTEN:80,fork,reuseaddr", "SYSTEM:echo hi");
    await h.pontonOk("run", "--name", "cx", "--network", "hn", "--namespace", "x", "--", "sleep", "600");
    await h.pontonOk("run", "--name", "cz", "--network", "hn", "--namespace", "z", "--", "sleep", "600");
    const file = path.join(h.dir, "only-x.yaml");
    writeFileSync(
      file,
      `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: only-x, namespace: y}\nspec:\n  podSelector: {matchLabels: {app: srv}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: x}}\n`,
    );
    await h.pontonOk("policy", "apply", "-f", file);
    const ip = (JSON.parse(await h.pontonOk("inspect", "srv")) as { networks: { ip4: string }[] }[])[0]!.networks[0]!.ip4;
    const probe = async (from: string) => (await h.inWorkload(from, "socat", ["-T", "2", "-u", `TCP:${ip}:80,connect-timeout=2`, "-"])).stdout.trim() === "hi";
    assert.ok(await eventually(() => probe("cx")), "x is admitted");
    assert.equal((await h.ponton("namespace", "label", "z", "kubernetes.io/metadata.name=x")).code, 2);
    assert.equal(await probe("cz"), false, "z passed for x");
    // The denied attempt is in the policy log, which is 0600 too.
    const policyLog = path.join(logs(), "policy.log");
    assert.ok(await eventually(async () => existsSync(policyLog) && readFileSync(policyLog, "utf8").includes("cz")), "policy log written");
    assert.equal(mode(policyLog), 0o600);
  });
});

describe("pontond in a private mount namespace", () => {
  let h: TestHost;
  before(async () => {
    h = await new TestHost("mn").setUp();
  });
  after(() => h?.tearDown());

  const refused = (r: Result, state: string) => {
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /PRIVATE_MOUNT_NAMESPACE: start pontond: it runs in a private mount namespace/);
    assert.match(r.stderr, /nsenter --net=\/run\/netns\/NAME pontond/);
    assert.equal(existsSync(state), false, "nothing was made");
  };
  const args = (tag: string) => [path.join(BIN, "pontond"), "--state-dir", path.join(h.dir, `state-${tag}`), "--socket", path.join(h.dir, `${tag}.sock`), "--prefix", `${h.prefix}${tag}`];

  test("under `ip netns exec` (a slave mount namespace) it refuses with the fix", async () => {
    refused(await sh("ip", ["netns", "exec", h.hostNs, process.execPath, ...args("ipx")], { timeoutMs: 20_000 }), path.join(h.dir, "state-ipx"));
  });

  test("under `unshare -m` (a private one) it refuses too", async () => {
    refused(await sh("unshare", ["-m", "nsenter", `--net=/run/netns/${h.hostNs}`, process.execPath, ...args("ush")], { timeoutMs: 20_000 }), path.join(h.dir, "state-ush"));
  });
});

describe("the CLI when the daemon refuses or dies mid-request", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "ponton-cli-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A unix-socket "daemon" that accepts, reads the request, then closes (after `partial`, if given). */
  async function dyingDaemon(partial?: string): Promise<{ socket: string; close: () => void }> {
    const socket = path.join(dir, `d${Math.random().toString(36).slice(2)}.sock`);
    const server = net.createServer((c) => c.once("data", () => (partial ? c.end(partial, () => c.destroy()) : c.destroy())));
    await new Promise<void>((r) => server.listen(socket, r));
    return { socket, close: () => server.close() };
  }
  const cli = (socket: string, ...a: string[]) => sh(process.execPath, [path.join(BIN, "ponton"), "--socket", socket, ...a], { timeoutMs: 20_000 });

  test("closed before answering: DAEMON_UNAVAILABLE, exit 6, for a read and for a change", async () => {
    const d = await dyingDaemon();
    try {
      const ls = await cli(d.socket, "ls");
      assert.equal(ls.code, 6, ls.stderr);
      assert.match(ls.stderr, /DAEMON_UNAVAILABLE: pontond at .* closed the connection before answering/);
      const create = await cli(d.socket, "network", "create", "n1");
      assert.equal(create.code, 6, create.stderr);
      assert.match(create.stderr, /may or may not have been applied/);
    } finally {
      d.close();
    }
  });

  test("closed in the middle of an answer: DAEMON_UNAVAILABLE, exit 6", async () => {
    const d = await dyingDaemon("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n[{");
    try {
      const ls = await cli(d.socket, "ls");
      assert.equal(ls.code, 6, ls.stderr);
      assert.match(ls.stderr, /DAEMON_UNAVAILABLE/);
      assert.doesNotMatch(ls.stderr, /INTERNAL/);
    } finally {
      d.close();
    }
  });

  test("`ponton up` does not start a daemon of its own when the socket refuses permission", async () => {
    const d = await dyingDaemon();
    try {
      chmodSync(dir, 0o755);
      chmodSync(d.socket, 0o600);
      const file = path.join(dir, "p.yaml");
      writeFileSync(file, "name: p\nnetworks: {}\n");
      chmodSync(file, 0o644);
      const r = await asNobody(process.execPath, [path.join(BIN, "ponton"), "--socket", d.socket, "up", file]);
      assert.equal(r.code, 6, r.stderr);
      assert.match(r.stderr, /permission denied on pontond's socket/);
      assert.doesNotMatch(r.stderr, /starting pontond/);
    } finally {
      d.close();
    }
  });
});
