// ponton-cni driven as libcni drives it: ADD/CHECK/DEL/DEL-again, VERSION, STATUS, GC, the error
// codes for bad env/config/version, capabilities, and the daemon being down, on the real kernel.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestHost, curlFrom, eventually, httpServer, sh, UPLINK_HOST } from "../harness";
import { addList, checkList, delList, execPlugin, makeSandbox, type Conflist, type Runtime } from "./cni-driver";

const LIST: Conflist = { cniVersion: "1.1.0", name: "pcni", plugins: [{ type: "ponton-cni", network: "cninet", capabilities: { portMappings: true, ips: true, mac: true, dns: true } }] };
const conf = (extra: Record<string, unknown> = {}, version = "1.1.0") => JSON.stringify({ cniVersion: version, name: "pcni", type: "ponton-cni", network: "cninet", ...extra });

interface Listed {
  name: string;
  networks: { ifname: string; ip4: string; mac: string }[];
}

describe("ponton-cni: the CNI commands, one plugin", () => {
  let h: TestHost;
  before(async () => {
    h = await new TestHost("cni").setUp();
    await h.pontonOk("network", "create", "cninet", "--subnet", "10.77.0.0/24");
  });
  after(() => h.tearDown());
  const listed = async () => JSON.parse(await h.pontonOk("ls", "-o", "json")) as Listed[];

  test("VERSION is answered by the binary itself, echoing the version asked", async () => {
    for (const v of ["1.1.0", "1.0.0", "0.4.0"]) {
      const r = await execPlugin(h, "ponton-cni", "VERSION", {}, JSON.stringify({ cniVersion: v }));
      assert.equal(r.code, 0);
      assert.deepEqual(r.json, { cniVersion: v, supportedVersions: ["0.4.0", "1.0.0", "1.1.0"] });
    }
  });

  test("ADD gives the spec's result, shows in ponton ls; CHECK passes; DEL twice succeeds", async () => {
    const rt: Runtime = { containerId: "c0ffee01", netns: await makeSandbox(h, "c1") };
    const add = await addList(h, LIST, rt);
    assert.equal(add.code, 0, add.stdout);
    const res = add.json as { cniVersion: string; interfaces: { name: string; sandbox?: string; mac?: string }[]; ips: { interface: number; address: string; gateway: string }[]; routes: { dst: string; gw: string }[]; dns: object };
    assert.equal(res.cniVersion, "1.1.0");
    assert.equal(res.interfaces[2]!.name, "eth0");
    assert.equal(res.interfaces[2]!.sandbox, rt.netns);
    assert.deepEqual(res.ips, [{ interface: 2, address: "10.77.0.2/24", gateway: "10.77.0.1" }]);
    assert.deepEqual(res.routes, [{ dst: "0.0.0.0/0", gw: "10.77.0.1" }]);
    assert.deepEqual(res.dns, { nameservers: ["10.77.0.1"], search: ["ponton.internal", "default.svc.cluster.local", "svc.cluster.local", "cluster.local"], options: ["ndots:5"] }, "points at Ponton's DNS on the gateway");
    const w = (await listed()).find((x) => x.name === "cni-c0ffee01");
    assert.ok(w, "the attachment is a workload in ponton ls");
    assert.equal(w.networks[0]!.ip4, "10.77.0.2");
    const inside = await sh("ip", ["-n", `${h.prefix}-c1`, "-o", "addr", "show", "dev", "eth0"]);
    assert.match(inside.stdout, /10\.77\.0\.2\/24/);
    assert.equal((await sh("ip", ["netns", "exec", `${h.prefix}-c1`, "ping", "-c", "1", "-W", "2", "10.77.0.1"])).code, 0);
    assert.equal((await checkList(h, LIST, rt, res)).code, 0);
    assert.equal((await delList(h, LIST, rt, res)).code, 0);
    assert.equal((await delList(h, LIST, rt, res)).code, 0);
    assert.equal((await listed()).some((x) => x.name === "cni-c0ffee01"), false);
    assert.doesNotMatch((await sh("ip", ["-n", `${h.prefix}-c1`, "-o", "link"])).stdout, /eth0/);
  });

  test("CHECK detects damage inside the sandbox: an address removed by hand", async () => {
    // (A deleted interface takes its host veth with it, which pontond's healer rebuilds at once; an
    // address removed inside the runtime's namespace is the runtime's to notice, through CHECK.)
    const rt: Runtime = { containerId: "c0ffee02", netns: await makeSandbox(h, "c2") };
    const add = await addList(h, LIST, rt);
    assert.equal(add.code, 0, add.stdout);
    const address = (add.json as { ips: { address: string }[] }).ips[0]!.address;
    await sh("ip", ["-n", `${h.prefix}-c2`, "addr", "del", address, "dev", "eth0"]);
    const check = await checkList(h, LIST, rt, add.json);
    assert.equal(check.code, 1);
    assert.equal(check.json?.code, 100);
    assert.match(String(check.json?.msg), new RegExp(`eth0.*lost its address ${address.split("/")[0]!.replace(/\./g, "\\.")}`));
    assert.equal((await delList(h, LIST, rt, add.json)).code, 0);
  });


  test("DEL after the netns is gone, and after a failed ADD, succeeds and frees the address", async () => {
    const rt: Runtime = { containerId: "c0ffee03", netns: await makeSandbox(h, "c3") };
    const add = await addList(h, LIST, rt);
    assert.equal(add.code, 0, add.stdout);
    await sh("ip", ["netns", "del", `${h.prefix}-c3`]);
    assert.equal((await delList(h, LIST, rt, add.json)).code, 0);
    assert.equal((await listed()).some((x) => x.name === "cni-c0ffee03"), false);

    const rt4: Runtime = { containerId: "c0ffee04", netns: await makeSandbox(h, "c4"), capabilityArgs: { ips: ["10.99.0.5/24"] } };
    const bad = await addList(h, LIST, rt4);
    assert.equal(bad.code, 1);
    assert.equal(bad.json?.code, 7);
    assert.equal((await delList(h, LIST, rt4)).code, 0);
    assert.equal((await delList(h, LIST, rt4)).code, 0);
  });

  test("error codes: env vars named (4), decoding (6), version (1), invalid config (7), unsupported field (2)", async () => {
    const netns = await makeSandbox(h, "c5");
    const rt = { containerId: "c0ffee05", netns };
    const noNetns = await execPlugin(h, "ponton-cni", "ADD", { containerId: "c0ffee05" }, conf());
    assert.equal(noNetns.json?.code, 4);
    assert.match(String(noNetns.json?.msg), /CNI_NETNS/);
    const badIf = await execPlugin(h, "ponton-cni", "ADD", rt, conf(), { CNI_IFNAME: "this-name-is-too-long" });
    assert.equal(badIf.json?.code, 4);
    assert.match(String(badIf.json?.msg), /CNI_IFNAME/);
    const badId = await execPlugin(h, "ponton-cni", "ADD", { ...rt, containerId: "-bad id" }, conf());
    assert.equal(badId.json?.code, 4);
    assert.match(String(badId.json?.msg), /CNI_CONTAINERID/);
    const unknownCmd = await execPlugin(h, "ponton-cni", "FROB", rt, conf());
    assert.equal(unknownCmd.json?.code, 4);
    assert.equal((await execPlugin(h, "ponton-cni", "ADD", rt, "{not json")).json?.code, 6);
    const old = await execPlugin(h, "ponton-cni", "ADD", rt, conf({}, "0.3.1"));
    assert.equal(old.json?.code, 1);
    assert.equal((await execPlugin(h, "ponton-cni", "ADD", rt, conf({ network: undefined }))).json?.code, 7);
    const unknownNet = await execPlugin(h, "ponton-cni", "ADD", rt, conf({ network: "nope" }));
    assert.equal(unknownNet.json?.code, 7);
    assert.match(String(unknownNet.json?.msg), /nope/);
    const ipam = await execPlugin(h, "ponton-cni", "ADD", rt, conf({ ipam: { type: "../bin/sh" } }));
    assert.equal(ipam.json?.code, 7);
    assert.match(String(ipam.json?.msg), /ipam\.type/);
    const noPlugin = await execPlugin(h, "ponton-cni", "ADD", rt, conf({ ipam: { type: "no-such-ipam" } }));
    assert.equal(noPlugin.json?.code, 7);
    assert.match(String(noPlugin.json?.msg), /no-such-ipam not found in CNI_PATH/);
    for (const r of [noNetns, badIf, old, ipam, noPlugin]) assert.equal(r.code, 1);
    assert.equal((await listed()).some((x) => x.name === "cni-c0ffee05"), false, "nothing applied");
  });

  test("STATUS: ready (0), unknown network (50), needs 1.1.0 (1)", async () => {
    assert.equal((await execPlugin(h, "ponton-cni", "STATUS", {}, conf())).code, 0);
    assert.equal((await execPlugin(h, "ponton-cni", "STATUS", {}, conf({ network: "nope" }))).json?.code, 50);
    assert.equal((await execPlugin(h, "ponton-cni", "STATUS", {}, conf({}, "1.0.0"))).json?.code, 1);
  });

  test("capabilities: static ip, mac, dns, and portMappings published by Ponton", async () => {
    const rt: Runtime = {
      containerId: "c0ffee06",
      netns: await makeSandbox(h, "c6"),
      capabilityArgs: { ips: ["10.77.0.99/24"], mac: "02:aa:bb:cc:dd:ee", dns: { nameservers: ["10.77.0.1"], search: ["svc.local"] }, portMappings: [{ hostPort: 18080, containerPort: 80, protocol: "tcp" }] },
    };
    const add = await addList(h, LIST, rt);
    assert.equal(add.code, 0, add.stdout);
    const res = add.json as { ips: { address: string }[]; interfaces: { mac?: string }[]; dns: object };
    assert.equal(res.ips[0]!.address, "10.77.0.99/24");
    assert.equal(res.interfaces[2]!.mac, "02:aa:bb:cc:dd:ee");
    assert.deepEqual(res.dns, { nameservers: ["10.77.0.1"], search: ["svc.local"] });
    assert.match((await sh("ip", ["-n", `${h.prefix}-c6`, "link", "show", "eth0"])).stdout, /02:aa:bb:cc:dd:ee/);
    httpServer(h, `${h.prefix}-c6`, 80, "hello-cni");
    const ports = JSON.parse(await h.pontonOk("port", "ls", "-o", "json")) as { hostPort: number; target: string }[];
    assert.deepEqual(ports.map((p) => [p.hostPort, p.target]), [[18080, "10.77.0.99:80"]]);
    assert.ok(await eventually(async () => (await curlFrom((c, a, t) => h.inOutside(c, a, t), `http://${UPLINK_HOST}:18080/`)) === "hello-cni"));
    assert.equal((await delList(h, LIST, rt, add.json)).code, 0);
    assert.deepEqual(JSON.parse(await h.pontonOk("port", "ls", "-o", "json")), []);
  });

  test("GC removes attachments not in cni.dev/valid-attachments", async () => {
    const keep: Runtime = { containerId: "c0ffee07", netns: await makeSandbox(h, "c7") };
    const drop: Runtime = { containerId: "c0ffee08", netns: await makeSandbox(h, "c8") };
    assert.equal((await addList(h, LIST, keep)).code, 0);
    assert.equal((await addList(h, LIST, drop)).code, 0);
    const gc = await execPlugin(h, "ponton-cni", "GC", {}, conf({ "cni.dev/valid-attachments": [{ containerID: "c0ffee07", ifname: "eth0" }] }));
    assert.equal(gc.code, 0, gc.stdout);
    const names = (await listed()).map((w) => w.name);
    assert.ok(names.includes("cni-c0ffee07"));
    assert.ok(!names.includes("cni-c0ffee08"));
    assert.doesNotMatch((await sh("ip", ["-n", `${h.prefix}-c8`, "-o", "link"])).stdout, /eth0/);
    assert.equal((await delList(h, LIST, keep)).code, 0);
  });

  test("parallel ADDs get distinct addresses; all DEL in parallel", async () => {
    const rts: Runtime[] = [];
    for (let i = 0; i < 8; i++) rts.push({ containerId: `par${i}`, netns: await makeSandbox(h, `p${i}`) });
    const adds = await Promise.all(rts.map((rt) => addList(h, LIST, rt)));
    assert.deepEqual(adds.map((a) => a.code), rts.map(() => 0));
    const ips = adds.map((a) => (a.json as { ips: { address: string }[] }).ips[0]!.address);
    assert.equal(new Set(ips).size, ips.length, ips.join(" "));
    const dels = await Promise.all(rts.map((rt, i) => delList(h, LIST, rt, adds[i]!.json)));
    assert.deepEqual(dels.map((d) => d.code), rts.map(() => 0));
    assert.equal((await listed()).filter((w) => w.name.startsWith("cni-par")).length, 0);
  });

  test("a sandbox deleted while the daemon was down (no DEL at all) is forgotten at its start", async () => {
    const rt: Runtime = { containerId: "c0ffee11", netns: await makeSandbox(h, "c11") };
    assert.equal((await addList(h, LIST, rt)).code, 0);
    await h.stopDaemon();
    await sh("ip", ["netns", "del", `${h.prefix}-c11`]);
    await h.startDaemon();
    assert.equal((await listed()).some((x) => x.name === "cni-c0ffee11"), false);
  });

  test("daemon down: ADD says try again later (11); DEL succeeds, and the daemon finishes it later", async () => {
    const rt: Runtime = { containerId: "c0ffee09", netns: await makeSandbox(h, "c9") };
    const add = await addList(h, LIST, rt);
    assert.equal(add.code, 0, add.stdout);
    await h.stopDaemon();
    const other: Runtime = { containerId: "c0ffee10", netns: await makeSandbox(h, "c10") };
    const down = await addList(h, LIST, other);
    assert.equal(down.code, 1);
    assert.equal(down.json?.code, 11);
    assert.equal((await execPlugin(h, "ponton-cni", "STATUS", {}, conf())).json?.code, 50);
    assert.equal((await delList(h, LIST, rt, add.json)).code, 0);
    assert.doesNotMatch((await sh("ip", ["-n", `${h.prefix}-c9`, "-o", "link"])).stdout, /eth0/, "the sandbox interface went at once");
    await h.startDaemon();
    // The next invocation reaching the daemon replays the queued DEL first.
    assert.equal((await execPlugin(h, "ponton-cni", "STATUS", {}, conf())).code, 0);
    assert.equal((await listed()).some((x) => x.name === "cni-c0ffee09"), false, "the address is released");
  });
  test("CHECK goes by prevResult: missing is an invalid config (7), a different address or MAC fails (100)", async () => {
    const rt: Runtime = { containerId: "c0ffee12", netns: await makeSandbox(h, "c12") };
    const add = await addList(h, LIST, rt);
    assert.equal(add.code, 0, add.stdout);
    const res = add.json as { ips: { address: string }[]; interfaces: { mac?: string }[] };
    assert.equal((await checkList(h, LIST, rt, res)).code, 0);
    const none = await execPlugin(h, "ponton-cni", "CHECK", rt, conf());
    assert.equal(none.json?.code, 7);
    assert.match(String(none.json?.msg), /prevResult/);
    const otherIp = { ...res, ips: [{ ...res.ips[0]!, address: "10.77.0.250/24" }] };
    const badIp = await checkList(h, LIST, rt, otherIp);
    assert.equal(badIp.json?.code, 100);
    assert.match(String(badIp.json?.msg), /10\.77\.0\.250/);
    const otherMac = { ...res, interfaces: res.interfaces.map((i, n) => (n === 2 ? { ...i, mac: "02:00:00:00:00:99" } : i)) };
    assert.equal((await checkList(h, LIST, rt, otherMac)).json?.code, 100);
    assert.equal((await delList(h, LIST, rt, res)).code, 0);
  });

  test("a second interface in the same container: its own address, no second default route", async () => {
    const netns = await makeSandbox(h, "c13");
    const first: Runtime = { containerId: "c0ffee13", netns };
    const second: Runtime = { containerId: "c0ffee13", netns, ifname: "net1" };
    const a = await addList(h, LIST, first);
    assert.equal(a.code, 0, a.stdout);
    const b = await addList(h, LIST, second);
    assert.equal(b.code, 0, b.stdout);
    const rb = b.json as { ips: { address: string }[]; routes: unknown[]; interfaces: { name: string }[] };
    assert.equal(rb.interfaces[2]!.name, "net1");
    assert.deepEqual(rb.routes, [], "only the first interface carries the default route");
    const routes = (await sh("ip", ["-n", `${h.prefix}-c13`, "-4", "route", "show", "default"])).stdout.trim().split("\n");
    assert.equal(routes.length, 1, routes.join(" | "));
    assert.match(routes[0]!, /dev eth0/);
    assert.match((await sh("ip", ["-n", `${h.prefix}-c13`, "-o", "addr", "show", "dev", "net1"])).stdout, new RegExp(rb.ips[0]!.address.replace(/\./g, "\\.")));
    assert.equal((await checkList(h, LIST, second, b.json)).code, 0);
    assert.equal((await delList(h, LIST, second, b.json)).code, 0);
    assert.match((await sh("ip", ["-n", `${h.prefix}-c13`, "-o", "link"])).stdout, /eth0/, "the first interface stays");
    assert.equal((await delList(h, LIST, first, a.json)).code, 0);
  });

  test("ADD refuses the daemon's own network namespace (it would configure the host)", async () => {
    const r = await execPlugin(h, "ponton-cni", "ADD", { containerId: "c0ffee14", netns: `/run/netns/${h.hostNs}` }, conf());
    assert.equal(r.code, 1);
    assert.equal(r.json?.code, 4);
    assert.match(String(r.json?.msg), /host's own network namespace/);
    assert.equal((await listed()).some((x) => x.name === "cni-c0ffee14"), false);
  });

});
