// bin/ponton-client (the native `ponton`, docs/cli.md "Fast path") against a real pontond: every
// command it serves prints byte for byte what the Node CLI prints, with the same exit code, in
// success and error cases; what pontond must not run (files, stdin, a tty, streams, programs on the
// client's side) is refused by the route and runs in the Node CLI instead.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost } from "../harness";

const ROOT = path.resolve(__dirname, "../../../..");
const CLIENT = path.join(ROOT, "bin/ponton-client");
const NODE_DIR = path.dirname(process.execPath);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/**
 * Every served command, in success and error cases; leaves nothing behind. R: reads (and refusals
 * that change nothing), compared with the Node CLI on the same state. M: changes, compared between
 * a run of the scenario through the Node CLI and one through the fast path (what they print does
 * not depend on generated names such as bridges, which differ between the two runs).
 */
const R = "read";
const M = "change";
const SCENARIO: [typeof R | typeof M, string[]][] = [
  [R, []],
  [R, ["--help"]],
  [R, ["bogus"]],
  [R, ["network"]],
  [R, ["network", "bogus"]],
  [R, ["ls", "--bogus"]],
  [R, ["ls", "-o", "yaml"]],
  [R, ["ls", "--help"]],
  [M, ["network", "create", "fnet", "--subnet", "10.77.0.0/24"]],
  [M, ["network", "create", "fnet", "--subnet", "10.77.0.0/24"]],
  [M, ["network", "create", "fnet2", "--subnet", "10.78.0.0/24"]],
  [R, ["network", "create", "bad", "--subnet", "10.79.0.0/33"]],
  [M, ["network", "update", "fnet", "--dns", "10.77.0.53"]],
  [M, ["network", "update", "fnet", "--no-dns"]],
  [R, ["network", "ls"]],
  [R, ["network", "ls", "-o", "json"]],
  [R, ["network", "inspect", "fnet"]],
  [R, ["network", "inspect", "nope"]],
  [R, ["run"]],
  [M, ["run", "--name", "fa", "--network", "fnet", "-l", "app=web"]],
  [M, ["run", "--name", "fa", "--network", "fnet"]],
  [M, ["run", "--name", "fb", "--network", "fnet", "--", "sh", "-c", "echo -f --env-file x; sleep 300"]],
  [R, ["run", "--name", "fc", "--network", "nope"]],
  [R, ["ls"]],
  [R, ["ls", "-o", "json"]],
  [R, ["inspect", "fa"]],
  [R, ["inspect", "nope"]],
  [M, ["label", "fa", "tier=front"]],
  [R, ["label", "fa", "bad label"]],
  [M, ["stop", "fb"]],
  [M, ["start", "fb"]],
  [R, ["stop", "nope"]],
  [M, ["network", "connect", "fnet2", "fa"]],
  [M, ["network", "connect", "fnet2", "fa"]],
  [M, ["network", "disconnect", "fnet2", "fa"]],
  [M, ["network", "disconnect", "fnet2", "fa"]],
  [M, ["namespace", "create", "fns"]],
  [R, ["namespace", "ls"]],
  [M, ["namespace", "label", "fns", "team=a"]],
  [M, ["service", "create", "fsvc", "--port", "80", "--selector", "app=web"]],
  [M, ["service", "create", "fsvc", "--port", "80", "--selector", "app=web"]],
  [M, ["service", "update", "fsvc", "--port", "8080"]],
  [R, ["service", "ls"]],
  [R, ["service", "inspect", "fsvc"]],
  [R, ["service", "inspect", "nope"]],
  [R, ["port", "ls"]],
  [R, ["firewall", "ls"]],
  [R, ["dns", "records", "--network", "fnet"]],
  [R, ["dns", "query", "fa", "--from", "fb"]],
  [R, ["dns", "query", "fa", "--from", "nope"]],
  [M, ["run", "--name", "fr", "--replicas", "2", "--network", "fnet"]],
  [R, ["template", "ls"]],
  [M, ["scale", "fr=1"]],
  [R, ["scale", "nope=1"]],
  [M, ["template", "rm", "fr"]],
  [R, ["policy", "ls"]],
  [R, ["policy", "explain", "--from", "fa", "--to", "fb", "--port", "80/tcp"]],
  [R, ["policy", "rm", "nope"]],
  [R, ["lb-pool", "ls"]],
  [R, ["lb-pool", "rm", "nope"]],
  [R, ["bgp", "ls"]],
  [R, ["bgp", "status"]],
  [R, ["node", "ls"]],
  [R, ["node", "tunnels"]],
  [R, ["node", "rm", "nope"]],
  [M, ["reconcile"]],
  [M, ["service", "rm", "fsvc"]],
  [M, ["service", "rm", "fsvc"]],
  [M, ["rm", "-f", "fa", "fb"]],
  [R, ["rm", "nope"]],
  [M, ["namespace", "rm", "fns"]],
  [M, ["network", "rm", "fnet2"]],
  [M, ["network", "rm", "fnet"]],
  [M, ["network", "rm", "fnet"]],
];

describe("CLI fast path: bin/ponton-client through pontond", () => {
  let h: TestHost;
  const nodeCli = (args: string[]) => run(process.execPath, [path.join(ROOT, "bin/ponton"), "--socket", h.socket, ...args], process.env);
  /** Without node on PATH: a command the client did not get served fails (exit 127) instead of falling back. */
  const servedOnly = (args: string[]) => run(CLIENT, ["--socket", h.socket, ...args], { PATH: "/nonexistent" });
  const client = (args: string[], input?: string) => run(CLIENT, ["--socket", h.socket, ...args], { PATH: `${NODE_DIR}:${process.env.PATH}` }, input);

  before(async () => {
    h = await new TestHost("fp").setUp();
  });
  after(() => h.tearDown());

  test("every served command prints what the Node CLI prints, byte for byte, with its exit code", async () => {
    const text = (argv: string[], r: Run) => `$ ponton ${argv.join(" ")}\nexit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
    const changes = async (cli: (a: string[]) => Promise<Run>, sameState?: (argv: string[], fast: Run) => Promise<void>) => {
      const out: string[] = [];
      for (const [kind, argv] of SCENARIO) {
        const r = await cli(argv);
        if (kind === M) out.push(text(argv, r));
        else await sameState?.(argv, r);
      }
      return out;
    };
    const codes = new Set<number>();
    const viaNode = await changes(nodeCli);
    // Sticky addresses: the same names get the same addresses the second time round.
    const viaFast = await changes(servedOnly, async (argv, fast) => {
      const slow = await nodeCli(argv);
      codes.add(slow.code);
      assert.equal(text(argv, fast), text(argv, slow));
    });
    assert.deepEqual(viaFast, viaNode);
    for (const t of viaNode) codes.add(Number(/^exit (\d+)$/m.exec(t)![1]));
    for (const c of [0, 2, 3, 4]) assert.ok(codes.has(c), `exit ${c} in the scenario`);
  });

  test("firewall add and rm (rule ids count up, so each path is checked on the same state)", async () => {
    const viaFast = await servedOnly(["firewall", "add", "tcp", "dport", "5678", "reject"]);
    const viaNode = await nodeCli(["firewall", "add", "tcp", "dport", "5679", "reject"]);
    assert.equal(viaFast.code, 0, viaFast.stderr);
    assert.equal(viaNode.stdout, `${Number(viaFast.stdout) + 1}\n`);
    assert.deepEqual(await servedOnly(["firewall", "ls"]), await nodeCli(["firewall", "ls"]));
    assert.deepEqual(await servedOnly(["firewall", "rm", viaNode.stdout.trim()]), await nodeCli(["firewall", "rm", viaFast.stdout.trim()]));
    assert.deepEqual(await servedOnly(["firewall", "rm", "999"]), await nodeCli(["firewall", "rm", "999"]));
  });

  test("bin/ponton (sh) runs the native client when built; `node bin/ponton` runs the Node CLI", async () => {
    const viaSh = await run(path.join(ROOT, "bin/ponton"), ["--socket", h.socket, "network", "ls"], { PATH: "/nonexistent" });
    assert.equal(viaSh.code, 0, viaSh.stderr);
    assert.deepEqual(viaSh, await nodeCli(["network", "ls"]));
  });

  test("files, stdin, exec, streams, --netns and non-ASCII arguments fall back to the Node CLI (and fail without node)", async () => {
    await h.pontonOk("network", "create", "fbk", "--subnet", "10.80.0.0/24");
    await h.pontonOk("run", "--name", "fx", "--network", "fbk", "--", "sleep", "300");
    const file = path.join(h.dir, "svc.yaml");
    writeFileSync(file, "apiVersion: v1\nkind: Service\nmetadata: {name: fy}\nspec: {selector: {app: x}, ports: [{port: 80}]}\n");
    const policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: fz}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n";
    const cases: { args: string[]; input?: string; expect: RegExp }[] = [
      { args: ["exec", "fx", "--", "echo", "from-exec"], expect: /^from-exec\n$/ },
      { args: ["service", "apply", "-f", file], expect: /service default\/fy created|service fy created/ },
      { args: ["policy", "apply", "-f", "-"], input: policy, expect: /networkpolicy default\/fz applied/ },
      { args: ["logs", "fx"], expect: /^$/ },
      { args: ["observe", "--workload", "fx"], expect: /^/ },
      { args: ["run", "--name", "fn", "--netns", "/run/netns/nope-fp"], expect: /^$/ },
      // Not ASCII: Node decodes argv itself, so the client leaves such lines to it.
      { args: ["inspect", "w\u00e9"], expect: /^$/ },
    ];
    for (const c of cases) {
      const slow = await client(c.args, c.input);
      assert.match(slow.stdout, c.expect, `${c.args.join(" ")}: ${slow.stderr}`);
      const none = await servedOnly(c.args);
      assert.equal(none.code, 127, `${c.args.join(" ")} was served: ${none.stdout}${none.stderr}`);
      assert.match(none.stderr, /ponton: cannot run node/);
    }
    await h.pontonOk("rm", "-f", "fx");
  });

  test("the route refuses what must run in the client, before running anything", async () => {
    const refused = [
      ["policy", "apply", "-f", "/etc/shadow"],
      ["service", "apply", "-f", "-"],
      ["lb-pool", "apply", "-f", "/etc/shadow"],
      ["bgp", "apply", "-f", "/etc/shadow"],
      ["up", "/etc/shadow"],
      ["down", "/etc/shadow"],
      ["exec", "w", "--", "id"],
      ["logs", "-f", "w"],
      ["policy", "log", "--follow"],
      ["observe", "--follow"],
      ["daemon"],
      ["run", "--name", "refused1", "--netns", "/proc/1/ns/net"],
      ["--socket", "/x", "exec", "w", "--", "id"],
    ];
    for (const argv of refused) {
      const e = await h.client.request("POST", "/v1/cli", { argv, socket: h.socket }).then(
        () => undefined,
        (err: { code?: string }) => err.code,
      );
      assert.equal(e, "CLI_IN_CLIENT", argv.join(" "));
    }
    assert.equal((await h.client.request<{ name: string }[]>("GET", "/v1/workloads")).some((w) => w.name === "refused1"), false);
    const bad = await h.client.request("POST", "/v1/cli", { argv: "ls" }).then(
      () => undefined,
      (err: { code?: string }) => err.code,
    );
    assert.equal(bad, "INVALID_ARGUMENT");
  });
});
