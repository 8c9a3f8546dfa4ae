// ponton-cni on a routed network (`--driver routed`, no bridge), driven as libcni drives it: the
// first ADD makes the network the conflist describes; each attachment is a veth with a /32 host
// route; neighbours, the gateway and a published port answer; CHECK, STATUS, DEL and a conflist
// asking for the other driver behave as on a bridge network.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestHost, UPLINK_HOST, curlFrom, eventually, httpServer, sh } from "../harness";
import { addList, checkList, delList, execPlugin, makeSandbox, type Conflist, type Runtime } from "./cni-driver";

const PLUGIN = { type: "ponton-cni", network: "cniflat", driver: "routed", subnet: "10.78.0.0/24", capabilities: { portMappings: true } };
const LIST: Conflist = { cniVersion: "1.1.0", name: "pflat", plugins: [PLUGIN] };

interface AddResult {
  interfaces: { name: string; sandbox?: string; mac?: string }[];
  ips: { interface: number; address: string; gateway: string }[];
  routes: { dst: string; gw: string }[];
}

describe("ponton-cni on a routed network", () => {
  let h: TestHost;
  before(async () => {
    h = await new TestHost("cnr").setUp();
  });
  after(() => h.tearDown());
  const inSandbox = (name: string, cmd: string, args: string[]) => sh("ip", ["netns", "exec", `${h.prefix}-${name}`, cmd, ...args], { timeoutMs: 10_000 });

  test("ADD makes the described routed network and a routed attachment; neighbours, gateway and a published port answer; CHECK passes; DEL removes the host route", async () => {
    const a: Runtime = { containerId: "f1a70001", netns: await makeSandbox(h, "ra"), capabilityArgs: { portMappings: [{ hostPort: 18081, containerPort: 80, protocol: "tcp" }] } };
    const b: Runtime = { containerId: "f1a70002", netns: await makeSandbox(h, "rb") };
    const addA = await addList(h, LIST, a);
    assert.equal(addA.code, 0, addA.stdout);
    const net = (JSON.parse(await h.pontonOk("network", "inspect", "cniflat")) as { driver: string; bridge: string }[])[0]!;
    assert.deepEqual([net.driver, net.bridge], ["routed", ""], "the first ADD made the routed network the conflist describes");
    const res = addA.json as unknown as AddResult;
    assert.equal(res.interfaces.length, 2, "no bridge: the host veth and the container's interface");
    assert.match(res.interfaces[0]!.name, /^pr-[0-9a-f]{12}$/);
    assert.deepEqual([res.interfaces[1]!.name, res.interfaces[1]!.sandbox], ["eth0", a.netns]);
    assert.deepEqual(res.ips, [{ interface: 1, address: "10.78.0.2/32", gateway: "10.78.0.1" }], "a host prefix, as the workload holds it");
    assert.deepEqual(res.routes, [{ dst: "0.0.0.0/0", gw: "10.78.0.1" }]);
    assert.match((await inSandbox("ra", "ip", ["-o", "addr", "show", "dev", "eth0"])).stdout, /10\.78\.0\.2\/32/);
    const hostRoute = JSON.parse((await h.inHost("ip", ["-j", "route", "show", "10.78.0.2"])).stdout || "[]") as { dev: string }[];
    assert.equal(hostRoute[0]?.dev, res.interfaces[0]!.name, "a /32 host route through the attachment's veth");
    assert.equal((await h.inHost("ip", ["-j", "link", "show", "type", "bridge"])).stdout.trim(), "[]", "no bridge on the host");

    const addB = await addList(h, LIST, b);
    assert.equal(addB.code, 0, addB.stdout);
    assert.equal((await inSandbox("rb", "ping", ["-c", "1", "-W", "2", "10.78.0.2"])).code, 0, "b reaches its neighbour a");
    assert.equal((await inSandbox("ra", "ping", ["-c", "1", "-W", "2", "10.78.0.1"])).code, 0, "a reaches the gateway");
    httpServer(h, `${h.prefix}-ra`, 80, "ra-80");
    assert.ok(await eventually(async () => (await curlFrom((c, x, t) => h.inOutside(c, x, t), `http://${UPLINK_HOST}:18081/`)) === "ra-80"), "a's published port answers from outside");
    assert.equal(await curlFrom((c, x) => inSandbox("rb", c, x), `http://${UPLINK_HOST}:18081/`), "ra-80", "and from its neighbour");

    assert.equal((await checkList(h, LIST, a, res)).code, 0, "CHECK passes");
    assert.equal((await execPlugin(h, "ponton-cni", "STATUS", {}, JSON.stringify({ cniVersion: "1.1.0", name: "pflat", ...PLUGIN }))).code, 0, "STATUS: ready");
    assert.equal((await delList(h, LIST, a, res)).code, 0);
    assert.equal((await delList(h, LIST, a, res)).code, 0, "DEL again succeeds");
    assert.equal((await h.inHost("ip", ["-j", "route", "show", "10.78.0.2"])).stdout.trim(), "[]", "a's host route is gone");
    assert.doesNotMatch((await sh("ip", ["-n", `${h.prefix}-ra`, "-o", "link"])).stdout, /eth0/);
    assert.equal((await delList(h, LIST, b, addB.json)).code, 0);
  });

  test("CHECK fails (100) when the container's address was removed by hand", async () => {
    const c: Runtime = { containerId: "f1a70003", netns: await makeSandbox(h, "rc") };
    const add = await addList(h, LIST, c);
    assert.equal(add.code, 0, add.stdout);
    const res = add.json as unknown as AddResult;
    assert.equal((await checkList(h, LIST, c, res)).code, 0);
    // The container's address removed by hand inside the sandbox (the runtime's to notice, through CHECK).
    await inSandbox("rc", "ip", ["addr", "flush", "dev", "eth0"]);
    const check = await checkList(h, LIST, c, res);
    assert.equal(check.code, 1);
    assert.equal(check.json?.code, 100, check.stdout);
    assert.equal((await delList(h, LIST, c, res)).code, 0);
  });

  test("a conflist asking for a bridge network where the routed one exists is an invalid config (7), naming the driver", async () => {
    const d: Runtime = { containerId: "f1a70004", netns: await makeSandbox(h, "rd") };
    const r = await addList(h, { ...LIST, plugins: [{ ...PLUGIN, driver: "bridge" }] }, d);
    assert.equal(r.json?.code, 7, r.stdout);
    assert.match(String(r.json?.msg), /driver is routed, the conflist says bridge/);
  });
});
