// Kubernetes v1 Service manifests, unchanged, on the real kernel: `ponton service apply -f` and
// Service documents beside a project in `ponton up`. ClusterIP with a given VIP, targetPort by name
// resolved per endpoint (two backends, two different ports), NodePort (given and allocated),
// LoadBalancer with a given IP, externalIPs, ClientIP affinity, headless, ExternalName; refusals.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, UPLINK_HOST } from "../harness";
import { replies as names } from "../replies";

const MANIFESTS = `
apiVersion: v1
kind: Service
metadata: {name: web, labels: {tier: front}, annotations: {note: ignored}}
spec:
  selector: {app: web}
  clusterIP: 10.96.5.10
  ports: [{name: http, port: 80, targetPort: serve, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: np}
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - {name: a, port: 80, targetPort: serve, nodePort: 30080}
  - {name: b, port: 81, targetPort: serve}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: lb}
  spec:
    type: LoadBalancer
    loadBalancerIP: 192.0.2.20
    externalIPs: [192.0.2.21]
    selector: {app: web}
    ports: [{port: 80, targetPort: serve}]
    sessionAffinity: ClientIP
    sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}
- apiVersion: v1
  kind: Service
  metadata: {name: hl, namespace: default}
  spec: {clusterIP: None, selector: {app: web}, ports: [{name: serve, port: 80, targetPort: serve}]}
- apiVersion: v1
  kind: Service
  metadata: {name: ext}
  spec: {type: ExternalName, externalName: db.example.test}
`;

describe("Kubernetes Service manifests", () => {
  let h: TestHost;
  const file = (name: string, text: string) => {
    const p = path.join(h.dir, name);
    writeFileSync(p, text);
    return p;
  };

  const inCli = (c: string, a: string[], t?: number) => h.inWorkload("cli", c, a, t);
  const inspect = async (name: string) => (JSON.parse(await h.pontonOk("service", "inspect", name)) as Record<string, unknown>[])[0]!;

  before(async () => {
    h = await new TestHost("km").setUp();
    await h.pontonOk("network", "create", "front", "--subnet", "172.48.0.0/24");
    // The same port name on two different ports: a named targetPort is resolved on each endpoint.
    for (const [n, port] of [["b1", 8080], ["b2", 9090]] as const) {
      await h.pontonOk("run", "--name", n, "--network", "front", "--label", "app=web", "--expose", `serve=${port}/tcp`, "--", "socat", `TCP-LISTEN:${port},fork,reuseaddr`, `SYSTEM:echo ${n}`);
    }
    await h.pontonOk("run", "--name", "cli", "--network", "front");
  });
  after(() => h.tearDown());

  test("service apply creates them all; targetPort by name reaches each endpoint on its own port", async () => {
    const out = JSON.parse(await h.pontonOk("service", "apply", "-f", file("svc.yaml", MANIFESTS), "-o", "json")) as { created: string[]; replaced: string[] };
    assert.deepEqual(out.created.sort(), ["ext", "hl", "lb", "np", "web"]);
    assert.ok(await eventually(async () => (await names(inCli, "10.96.5.10", 80, 1))[0] !== "ERR"));
    assert.deepEqual((await names(inCli, "10.96.5.10", 80, 4)).sort(), ["b1", "b1", "b2", "b2"]);
  });

  test("NodePort: the given nodePort and an allocated one (30000-32767) are published on the host", async () => {
    const np = (await inspect("np")).ports as { port: number; hostPort: number }[];
    assert.equal(np[0]!.hostPort, 30080);
    assert.ok(np[1]!.hostPort >= 30000 && np[1]!.hostPort <= 32767, String(np[1]!.hostPort));
    const outside = (c: string, a: string[], t?: number) => h.inOutside(c, a, t);
    assert.deepEqual((await names(outside, UPLINK_HOST, 30080, 2)).sort(), ["b1", "b2"]);
    assert.deepEqual((await names(outside, UPLINK_HOST, np[1]!.hostPort, 2)).sort(), ["b1", "b2"]);
  });

  test("LoadBalancer: its IP and the externalIPs reach it from outside; ClientIP affinity pins a client (timeout in nft)", async () => {
    const lb = await inspect("lb");
    // loadBalancerIP outside every pool is the user's own address, served as given.
    assert.deepEqual([lb.externalIps, (lb.loadBalancer as { ips: string[] }).ips], [["192.0.2.21"], ["192.0.2.20"]]);
    for (const ip of ["192.0.2.20", "192.0.2.21"]) await h.inOutside("ip", ["route", "replace", `${ip}/32`, "via", UPLINK_HOST]);
    const outside = (c: string, a: string[], t?: number) => h.inOutside(c, a, t);
    assert.equal(new Set(await names(outside, "192.0.2.20", 80, 6)).size, 1, "pinned");
    assert.match((await names(outside, "192.0.2.21", 80, 1))[0]!, /^b[12]$/);
    assert.match((await h.inHost("nft", ["list", "sets", "table", "inet", "ponton"])).stdout, /timeout 10m/);
  });

  test("headless and ExternalName from the manifest answer in DNS", async () => {
    const dig = async (...a: string[]) => (await h.inWorkload("cli", "dig", ["+short", "+time=2", "+tries=1", ...a])).stdout.trim().split("\n").sort();
    const ips = ((await inspect("hl")).endpoints as { ip: string }[]).map((e) => e.ip).sort();
    assert.deepEqual(await dig("hl.default.svc.cluster.local"), ips);
    assert.deepEqual((await dig("SRV", "_serve._tcp.hl.default.svc.cluster.local")).map((l) => l.split(" ")[2]).sort(), ["8080", "9090"]);
    assert.deepEqual(await dig("CNAME", "ext.default.svc.cluster.local"), ["db.example.test."]);
  });

  test("applying the same file again replaces in place: VIPs and NodePorts stay", async () => {
    const before = ((await inspect("np")).ports as { hostPort: number }[]).map((p) => p.hostPort);
    const out = JSON.parse(await h.pontonOk("service", "apply", "-f", file("svc.yaml", MANIFESTS), "-o", "json")) as { created: string[]; replaced: string[] };
    assert.deepEqual(out.created, []);
    assert.equal(out.replaced.length, 5);
    assert.deepEqual(((await inspect("np")).ports as { hostPort: number }[]).map((p) => p.hostPort), before);
    assert.equal((await inspect("web")).vip, "10.96.5.10");
  });

  test("refused with a code naming the field; a file with one bad document applies nothing", async () => {
    const good = "apiVersion: v1\nkind: Service\nmetadata: {name: fresh}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n";
    for (const [bad, re] of [
      ["spec: {selector: {app: web}, ports: [{port: 80}], externalTrafficPolicy: Local}", /INVALID_YAML[\s\S]*spec\.externalTrafficPolicy/],
      ["spec: {selector: {app: web}, ports: [{port: 80}], topologyKeys: [a]}", /INVALID_YAML[\s\S]*spec\.topologyKeys: unknown field/],
      ["spec: {selector: {app: web}, clusterIP: 10.200.0.1, ports: [{port: 80}]}", /ADDRESS_OUT_OF_SUBNET[\s\S]*default\/bad/],
    ] as const) {
      const r = await h.ponton("service", "apply", "-f", file("bad.yaml", `${good}---\napiVersion: v1\nkind: Service\nmetadata: {name: bad}\n${bad}\n`));
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, re);
      assert.equal((await h.ponton("service", "inspect", "fresh")).code, 4, "nothing applied");
    }
  });

  test("ponton up: Service documents beside the project document (and YAML aliases); down removes them", async () => {
    const project = `name: kp\nworkloads:\n  k1:\n    networks: [front]\n    aliases: [kpalias]\n    labels: {app: kp}\n    expose: [serve=7070/tcp]\n    command: [socat, "TCP-LISTEN:7070,fork,reuseaddr", "SYSTEM:echo k1"]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: kp, namespace: default}\nspec: {selector: {app: kp}, ports: [{port: 80, targetPort: serve}]}\n`;
    const f = file("kp.yaml", project);
    await h.pontonOk("up", f);
    const s = await inspect("kp");
    assert.equal(s.project, "kp");
    assert.ok(await eventually(async () => (await names(inCli, s.vip as string, 80, 1))[0] === "k1"));
    assert.equal((await names(inCli, "kpalias", 7070, 1))[0], "k1", "the YAML alias resolves on front");
    await h.pontonOk("down", f);
    assert.equal((await h.ponton("service", "inspect", "kp")).code, 4);
  });
});
