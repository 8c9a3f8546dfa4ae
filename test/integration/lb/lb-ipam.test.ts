// LoadBalancer IP pools on the real kernel: CiliumLoadBalancerIPPool manifests as written, Services
// of type LoadBalancer getting addresses from them, reached from the "outside" namespace routed to
// the host; sharing keys, requested addresses, pending reasons, pool changes re-evaluating
// services, `ponton up`/`down` with pools beside a project.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, UPLINK_HOST } from "../harness";
import { replies as names } from "../replies";

const POOLS = (smallStop: string) => `
apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata: {name: blue-pool}
spec:
  blocks:
  - cidr: 10.0.10.0/24
  serviceSelector:
    matchLabels: {color: blue}
---
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: small}
spec:
  blocks:
  - {start: 10.0.20.5, stop: ${smallStop}}
`;

const svc = (name: string, port: number, meta = "", extra = "") => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}${meta}}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: ${port}, targetPort: 8080}]${extra}
`;

interface Lb {
  externalIps: string[];
  loadBalancer: { ips: string[]; pending?: { code: string; reason: string } };
  ports: { port: number; hostPort: number }[];
}

describe("LoadBalancer IP pools (LB IPAM)", () => {
  let h: TestHost;
  const file = (name: string, text: string) => {
    const p = path.join(h.dir, name);
    writeFileSync(p, text);
    return p;
  };
  const inspect = async (name: string) => (JSON.parse(await h.pontonOk("service", "inspect", name)) as Lb[])[0]!;
  const outside = (c: string, a: string[], t?: number) => h.inOutside(c, a, t);
  const reached = async (ip: string, port: number) => (await names(outside, ip, port, 2)).sort();

  before(async () => {
    h = await new TestHost("lb").setUp();
    await h.pontonOk("network", "create", "front", "--subnet", "172.49.0.0/24");
    for (const n of ["b1", "b2"]) await h.pontonOk("run", "--name", n, "--network", "front", "--label", "app=web", "--", "socat", "TCP-LISTEN:8080,fork,reuseaddr", `SYSTEM:echo ${n}`);
    // The outside's router: LoadBalancer addresses are reached through the host (BGP or L2 do this later).
    for (const r of ["10.0.10.0/24", "10.0.20.0/24"]) await h.inOutside("ip", ["route", "replace", r, "via", UPLINK_HOST]);
  });
  after(() => h.tearDown());

  test("a service with no address gets the lowest of the pool that selects it, reached from outside; ls shows it as kubectl does", async () => {
    const out = JSON.parse(await h.pontonOk("lb-pool", "apply", "-f", file("pools.yaml", POOLS("10.0.20.5")), "-o", "json")) as { created: string[] };
    assert.deepEqual(out.created.sort(), ["blue-pool", "small"]);
    await h.pontonOk("service", "apply", "-f", file("web.yaml", svc("web", 80, ", labels: {color: blue}")));
    const web = await inspect("web");
    assert.deepEqual(web.loadBalancer.ips, ["10.0.10.0"], "every address of the cidr, as Cilium by default");
    assert.ok(await eventually(async () => (await names(outside, "10.0.10.0", 80, 1))[0] !== "ERR"));
    assert.deepEqual(await reached("10.0.10.0", 80), ["b1", "b2"]);
    const ls = await h.pontonOk("service", "ls");
    assert.match(ls, new RegExp(`web\\s+10\\.96\\.\\S+\\s+LoadBalancer\\s+10\\.0\\.10\\.0\\s+80:${web.ports[0]!.hostPort}/TCP\\s`));
    const pools = await h.pontonOk("lb-pool", "ls");
    assert.match(pools, /blue-pool\s+false\s+10\.0\.10\.0\/24\s+color=blue\s+1\/256\s+web/);
  });

  test("sharing key: another port on the same address; a requested taken address and a full pool are <pending> with the reason", async () => {
    const share = ', annotations: {"lbipam.cilium.io/sharing-key": "k"}';
    const text = svc("web", 80, `, labels: {color: blue}${share}`)
      + svc("web-alt", 8443, `, labels: {color: blue}${share}`)
      + svc("other", 80)
      + svc("third", 80)
      + svc("want", 80, ", labels: {color: blue}", "\n  loadBalancerIP: 10.0.10.0");
    await h.pontonOk("service", "apply", "-f", file("more.yaml", text));
    assert.deepEqual((await inspect("web")).loadBalancer.ips, ["10.0.10.0"], "web keeps its address");
    assert.deepEqual((await inspect("web-alt")).loadBalancer.ips, ["10.0.10.0"], "shared");
    assert.deepEqual(await reached("10.0.10.0", 8443), ["b1", "b2"]);
    assert.deepEqual((await inspect("other")).loadBalancer.ips, ["10.0.20.5"], "the pool without selector");
    const third = await inspect("third");
    assert.deepEqual([third.loadBalancer.ips, third.loadBalancer.pending?.code], [[], "POOL_EXHAUSTED"]);
    assert.match(third.loadBalancer.pending!.reason, /every IPv4 address of pool small is taken/);
    const want = await inspect("want");
    assert.equal(want.loadBalancer.pending?.code, "ADDRESS_TAKEN");
    assert.match(want.loadBalancer.pending!.reason, /10\.0\.10\.0 is taken by service web/);
    assert.match(await h.pontonOk("service", "ls"), /third\s+10\.96\.\S+\s+LoadBalancer\s+<pending>\s/);
  });

  test("a pool change re-evaluates services: a grown pool serves the pending one, a removed pool takes addresses away", async () => {
    await h.pontonOk("lb-pool", "apply", "-f", file("pools.yaml", POOLS("10.0.20.6")));
    assert.deepEqual((await inspect("third")).loadBalancer.ips, ["10.0.20.6"]);
    assert.ok(await eventually(async () => (await names(outside, "10.0.20.6", 80, 1))[0] !== "ERR"));
    await h.pontonOk("service", "rm", "want");
    await h.pontonOk("lb-pool", "rm", "blue-pool");
    const web = await inspect("web");
    assert.deepEqual([web.loadBalancer.ips, web.loadBalancer.pending?.code], [[], "POOL_EXHAUSTED"], "only the full small pool is left");
    // Nothing answers there now (the SYN is routed back out, not DNATed): a connect timeout, not a reply.
    const gone = await h.inOutside("sh", ["-c", "socat -T2 -u TCP:10.0.10.0:80,connect-timeout=3 - || echo ERR"], 15_000);
    assert.equal(gone.stdout.trim(), "ERR", "the address no longer reaches the service");
    assert.doesNotMatch((await h.inHost("nft", ["list", "table", "inet", "ponton"])).stdout, /10\.0\.10\.0\b/);
    // Freeing an address serves the oldest pending service in the same transaction.
    await h.pontonOk("service", "rm", "other");
    assert.deepEqual((await inspect("web")).loadBalancer.ips, ["10.0.20.5"]);
    for (const n of ["web", "web-alt", "third"]) await h.pontonOk("service", "rm", n);
    await h.pontonOk("lb-pool", "rm", "small");
    assert.equal((await h.pontonOk("lb-pool", "ls", "-o", "json")).trim(), "[]");
  });

  test("refusals name the field and apply nothing", async () => {
    const bad = POOLS("10.0.20.5").replace("  serviceSelector:", "  vlan: 3\n  serviceSelector:");
    const r = await h.ponton("lb-pool", "apply", "-f", file("bad.yaml", bad));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /INVALID_YAML[\s\S]*CiliumLoadBalancerIPPool blue-pool: spec\.vlan: unknown field/);
    assert.equal((await h.pontonOk("lb-pool", "ls", "-o", "json")).trim(), "[]", "the good pool beside it was not applied either");
    const cross = svc("x", 80, ', annotations: {"lbipam.cilium.io/sharing-cross-namespace": "*"}');
    const c = await h.ponton("service", "apply", "-f", file("cross.yaml", cross));
    assert.equal(c.code, 2);
    assert.match(c.stderr, /metadata\.annotations\.lbipam\.cilium\.io\/sharing-cross-namespace: not supported/);
  });

  test("ponton up takes pools beside the project and its Services; down removes both", async () => {
    const project = `name: shop\n---${POOLS("10.0.20.5")}${svc("shop-web", 80, ", labels: {color: blue}")}`;
    const f = file("shop.yaml", project);
    await h.pontonOk("up", f);
    assert.deepEqual((await inspect("shop-web")).loadBalancer.ips, ["10.0.10.0"]);
    assert.ok(await eventually(async () => (await names(outside, "10.0.10.0", 80, 1))[0] !== "ERR"));
    await h.pontonOk("down", f);
    assert.equal((await h.ponton("service", "inspect", "shop-web")).code, 4);
    assert.equal((await h.pontonOk("lb-pool", "ls", "-o", "json")).trim(), "[]");
  });
});
