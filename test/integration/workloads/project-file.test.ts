// `ponton up` / `ponton down` on the real kernel, and the built-in networks (host, none, --netns).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, curlFrom, docRoot, eventually, inspect, listWorkloads, ping, UPLINK_HOST } from "../harness";

interface Report {
  created: string[];
  recreated: string[];
  unchanged: string[];
  removed: string[];
}

describe("ponton up / down", () => {
  let h: TestHost;
  let file: string;
  before(async () => {
    h = await new TestHost("pf").setUp();
    file = path.join(h.dir, "demo.yaml");
  });
  after(() => h.tearDown());

  const httpd = (name: string, port: number, text: string) => JSON.stringify(["busybox", "httpd", "-f", "-p", String(port), "-h", docRoot(h, `${name}-${text}`, text)]);
  const yaml = (opts: { apiText?: string; withDb?: boolean; rules?: string[]; backSubnet?: string } = {}) => `
name: demo
networks:
  front:
    subnet: 10.71.1.0/24
  back:
    subnet: ${opts.backSubnet ?? "10.71.2.0/24"}
workloads:
  web:
    networks: [front]
    command: ${httpd("web", 5678, "web-ok")}
    ports: ["8001:5678"]
    labels: { tier: web }
  api:
    networks: [front, back]
    command: ${httpd("api", 80, opts.apiText ?? "api-v1")}
    labels: { tier: api }
${
  opts.withDb === false
    ? ""
    : `  db:
    networks: [back]
    command: ${httpd("db", 5679, "db-ok")}
    labels: { tier: db }
`
}firewall:
  user: ${JSON.stringify(opts.rules ?? ["tcp dport 5679 reject"])}
`;
  const up = async (text: string) => {
    writeFileSync(file, text);
    return h.ponton("up", file, "-o", "json");
  };
  const upOk = async (text: string) => {
    const r = await up(text);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Report;
  };
  const pids = async () => Object.fromEntries((await listWorkloads(h)).map((w) => [w.name, w.pid]));
  const userChain = async () => (await h.inHost("nft", ["list", "chain", "inet", "ponton", "user"])).stdout;
  const snapshot = async () => ({
    workloads: await h.client.request("GET", "/v1/workloads"),
    networks: await h.client.request("GET", "/v1/networks"),
    rules: await h.client.request("GET", "/v1/firewall/rules"),
    user: await userChain(),
  });
  const fromApi = (url: string) => curlFrom((c, a, t) => h.inWorkload("api", c, a, t), url);
  const sorted = (r: Report) => ({ created: [...r.created].sort(), recreated: [...r.recreated].sort(), unchanged: [...r.unchanged].sort(), removed: [...r.removed].sort() });

  test("up creates networks, workloads, published ports, labels and user rules that work", async () => {
    const report = await upOk(yaml());
    assert.deepEqual(sorted(report), {
      created: ["network back", "network front", "workload api", "workload db", "workload web"],
      recreated: [],
      unchanged: [],
      removed: [],
    });
    const ws = await listWorkloads(h);
    assert.deepEqual(ws.map((w) => [w.name, w.state, w.project, w.labels.tier]).sort(), [
      ["api", "running", "demo", "api"],
      ["db", "running", "demo", "db"],
      ["web", "running", "demo", "web"],
    ]);
    const nets = JSON.parse(await h.pontonOk("network", "ls", "-o", "json")) as { name: string; subnet4?: string; labels: Record<string, string> }[];
    assert.deepEqual(nets.filter((n) => n.labels["ponton.project"] === "demo").map((n) => [n.name, n.subnet4]).sort(), [["back", "10.71.2.0/24"], ["front", "10.71.1.0/24"]]);

    const ip = async (w: string, net: string) => (await inspect(h, w)).networks.find((n) => n.network === net)!.ip4!;
    const [web, db] = [await ip("web", "front"), await ip("db", "back")];
    assert.ok(await eventually(async () => (await curlFrom((c, a, t) => h.inOutside(c, a, t), `http://${UPLINK_HOST}:8001/`)) === "web-ok"), "published 8001 -> web:5678");
    assert.ok(await eventually(async () => (await fromApi(`http://${web}:5678/`)) === "web-ok"), "api reaches web on front");
    assert.ok(await ping(h, "api", db), "api reaches db on back");
    assert.equal(await fromApi(`http://${db}:5679/`), "", "the file's user rule rejects tcp/5679");
    assert.match(await userChain(), /tcp dport 5679 reject/);
    assert.equal(await ping(h, "web", db), false, "web is not on back");
  });

  test("up again changes nothing; a changed command recreates only that workload; a bad file changes nothing", async () => {
    const before = await pids();
    const again = await upOk(yaml());
    assert.deepEqual(sorted(again), {
      created: [],
      recreated: [],
      unchanged: ["network back", "network front", "workload api", "workload db", "workload web"],
      removed: [],
    });
    assert.deepEqual(await pids(), before, "no process was restarted");

    const changed = await upOk(yaml({ apiText: "api-v2" }));
    assert.deepEqual(changed.recreated, ["workload api"]);
    assert.deepEqual(changed.created, []);
    assert.deepEqual(changed.removed, []);
    assert.deepEqual([...changed.unchanged].sort(), ["network back", "network front", "workload db", "workload web"]);
    const after = await pids();
    assert.notEqual(after.api, before.api, "api runs its new command");
    assert.equal(after.web, before.web);
    assert.equal(after.db, before.db);
    const apiIp = (await inspect(h, "api")).networks[0]!.ip4!;
    assert.ok(await eventually(async () => (await curlFrom((c, a, t) => h.inWorkload("web", c, a, t), `http://${apiIp}/`)) === "api-v2"));

    // Bad files: nothing applied, not even the parts that were fine.
    const snap = await snapshot();
    const bad: [string, RegExp][] = [
      ["workloads: [unclosed\n  - {", /INVALID_YAML/],
      [yaml({ apiText: "api-v3" }).replace("labels: { tier: web }", "labels: { tier: web }\n    bogus: 1"), /INVALID_YAML.*bogus/],
      [yaml({ apiText: "api-v3" }).replace('["8001:5678"]', '["8001:banana"]'), /INVALID_PORT/],
      [yaml({ apiText: "api-v3" }).replace("subnet: 10.71.2.0/24", "subnet: 10.71.2.1/24"), /INVALID_CIDR/],
      [yaml({ apiText: "api-v3", rules: ["tcp dport banana reject"] }), /INVALID_YAML.*firewall/],
    ];
    for (const [text, message] of bad) {
      const r = await up(text);
      assert.equal(r.code, 2, `${message}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.deepEqual(await snapshot(), snap, `nothing changed (${message})`);
    }
  });

  test("a changed network is recreated with the workloads on it, and only those", async () => {
    const before = await pids();
    const moved = await upOk(yaml({ apiText: "api-v2", backSubnet: "10.71.3.0/24" }));
    assert.deepEqual(sorted(moved), {
      created: [],
      recreated: ["network back", "workload api", "workload db"],
      unchanged: ["network front", "workload web"],
      removed: [],
    });
    const after = await pids();
    assert.equal(after.web, before.web);
    const db = (await inspect(h, "db")).networks[0]!.ip4!;
    assert.match(db, /^10\.71\.3\./);
    assert.ok(await ping(h, "api", db), "api reaches db on the new subnet");
    assert.equal(await fromApi(`http://${db}:5679/`), "", "the user rule still applies");
  });

  test("a workload removed from the file is removed; rules converge; down removes everything including the user rule", async () => {
    const db = await inspect(h, "db");
    const report = await upOk(yaml({ apiText: "api-v2", withDb: false, rules: [] }));
    assert.deepEqual(report.removed, ["workload db"]);
    assert.deepEqual((await listWorkloads(h)).map((w) => w.name).sort(), ["api", "web"]);
    assert.equal(existsSync(`/run/netns/${h.ns("db")}`), false);
    assert.ok(await eventually(async () => (await h.inHost("ip", ["link", "show", db.networks[0]!.hostIfname])).code !== 0));
    assert.doesNotMatch(await userChain(), /5679/, "the rule left the file, so it left the chain");

    await upOk(yaml({ apiText: "api-v2" }));
    assert.match(await userChain(), /tcp dport 5679 reject/);
    // A rule added by hand (not from the file) is not the project's: down keeps it.
    await h.pontonOk("firewall", "add", "tcp", "dport", "5680", "reject");

    const down = await h.ponton("down", file, "-o", "json");
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual((JSON.parse(down.stdout) as Report).removed.sort(), ["network back", "network front", "workload api", "workload db", "workload web"]);
    assert.deepEqual(await listWorkloads(h), []);
    const nets = JSON.parse(await h.pontonOk("network", "ls", "-o", "json")) as { name: string }[];
    assert.deepEqual(nets.map((n) => n.name).sort(), ["host", "none"]);
    const chain = await userChain();
    assert.doesNotMatch(chain, /5679/, "the project's rule is gone");
    assert.match(chain, /tcp dport 5680 reject/, "the hand-made rule stays");
    assert.deepEqual(readdirSync("/run/netns").filter((n) => n.startsWith(`${h.prefix}-`) && n !== h.hostNs && n !== h.outsideNs), []);
    const links = JSON.parse((await h.inHost("ip", ["-j", "link", "show"])).stdout) as { ifname: string }[];
    assert.deepEqual(links.map((l) => l.ifname).filter((n) => n.startsWith("pv-") || n.startsWith("pbr-")), []);
    assert.equal((await h.ponton("down", file)).code, 0, "down twice is fine");
  });
});

describe("built-in networks: host, none, and an existing namespace", () => {
  let h: TestHost;
  before(async () => {
    h = await new TestHost("bn").setUp();
    await h.pontonOk("network", "create", "plain", "--subnet", "10.72.0.0/24");
  });
  after(() => h.tearDown());

  test("--network host runs the command in the host's namespace", async () => {
    await h.pontonOk("run", "--name", "hostw", "--network", "host", "--", "socat", "TCP-LISTEN:7777,fork,reuseaddr", "SYSTEM:echo host-ok");
    const w = await inspect(h, "hostw");
    assert.equal(w.state, "running");
    assert.deepEqual(w.networks, []);
    assert.equal(statSync(`/proc/${w.pid}/ns/net`).ino, statSync(`/run/netns/${h.hostNs}`).ino, "same network namespace as the host");
    assert.ok(await eventually(async () => (await h.inHost("socat", ["-T2", "-", "TCP:127.0.0.1:7777"])).stdout.trim() === "host-ok"));
    await h.pontonOk("rm", "-f", "hostw");
    assert.ok(await eventually(async () => (await h.inHost("socat", ["-T1", "-", "TCP:127.0.0.1:7777"])).code !== 0), "stopped with its workload");
  });

  test("--network none has only a loopback", async () => {
    await h.pontonOk("run", "--name", "lonely", "--network", "none");
    const links = JSON.parse((await h.inWorkload("lonely", "ip", ["-j", "link", "show"])).stdout) as { ifname: string; flags: string[] }[];
    assert.deepEqual(links.map((l) => l.ifname), ["lo"]);
    assert.ok(links[0]!.flags.includes("UP"));
    assert.deepEqual((await inspect(h, "lonely")).networks, []);
    await h.pontonOk("rm", "lonely");
    assert.equal(existsSync(`/run/netns/${h.ns("lonely")}`), false);
  });

  test("--netns attaches a namespace the user made; rm removes our veth but never the namespace", async () => {
    const mine = `${h.prefix}-mine`;
    assert.equal((await h.inHost("ip", ["netns", "add", mine])).code, 0);
    await h.pontonOk("run", "--name", "guest", "--netns", `/run/netns/${mine}`, "--network", "plain");
    const w = await inspect(h, "guest");
    const ip = w.networks[0]!.ip4!;
    const addr = await h.inWorkload("mine", "ip", ["-4", "-o", "addr", "show", "eth0"]);
    assert.match(addr.stdout, new RegExp(`inet ${ip.replace(/\./g, "\\.")}/24`));
    assert.equal((await h.inHost("ping", ["-c", "1", "-W", "1", ip])).code, 0, "reachable from the host");
    await h.pontonOk("rm", "guest");
    assert.ok(existsSync(`/run/netns/${mine}`), "the user's namespace is still there");
    assert.equal((await h.inWorkload("mine", "ip", ["link", "show", "eth0"])).code, 1, "our interface left it");
    assert.ok(await eventually(async () => (await h.inHost("ip", ["link", "show", w.networks[0]!.hostIfname])).code !== 0), "host end gone");
    assert.deepEqual(await listWorkloads(h), []);
  });
});
