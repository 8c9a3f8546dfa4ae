// The conflists docs/cni.md documents (examples/cni/), run as written: the network they describe is
// made on the first ADD, an `ipam` section is delegated to Debian's host-local plugin, and a
// conflist that disagrees with an existing network is refused.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { TestHost, sh } from "../harness";
import { addList, checkList, delList, execPlugin, makeSandbox, ROOT, type Conflist, type Runtime } from "./cni-driver";

const EXAMPLES = path.join(ROOT, "examples", "cni");
const documented = (file: string): Conflist => JSON.parse(readFileSync(path.join(EXAMPLES, file), "utf8")) as Conflist;

interface Listed {
  name: string;
  networks: { ip4: string }[];
}

describe("ponton-cni: the documented conflists", { skip: !existsSync("/usr/lib/cni/host-local") && "containernetworking-plugins not installed" }, () => {
  let h: TestHost;
  before(async () => {
    h = await new TestHost("cnif").setUp();
  });
  after(() => h.tearDown());
  const listed = async () => JSON.parse(await h.pontonOk("ls", "-o", "json")) as Listed[];

  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith(".conflist"))) {
    test(`${file} works as written: ADD makes its network, CHECK and DEL pass`, async () => {
      const list = documented(file);
      // host-local keeps its leases under dataDir: the test's own directory, not the machine's /var/lib/cni.
      for (const p of list.plugins) if (p.ipam) (p.ipam as Record<string, unknown>).dataDir = path.join(h.dir, "ipam");
      const rt: Runtime = { containerId: `doc-${file.slice(0, 2)}`, netns: await makeSandbox(h, `d${file.slice(0, 2)}`) };
      const add = await addList(h, list, rt);
      assert.equal(add.code, 0, add.stdout);
      const res = add.json as { cniVersion: string; ips: { address: string }[] };
      assert.equal(res.cniVersion, list.cniVersion);
      const ours = list.plugins[0] as { network: string; subnet: string };
      const nets = JSON.parse(await h.pontonOk("network", "ls", "-o", "json")) as { name: string; subnet4?: string }[];
      assert.equal(nets.find((n) => n.name === ours.network)?.subnet4, ours.subnet, "the described network was made");
      assert.equal((await checkList(h, list, rt, add.json)).code, 0);
      assert.equal((await delList(h, list, rt, add.json)).code, 0);
      assert.equal((await listed()).length, 0);
    });
  }

  test("ipam host-local: the address comes from its range, DEL returns the lease, a failed ADD too", async () => {
    const list = documented("20-ponton-ipam.conflist");
    const dataDir = path.join(h.dir, "ipam2");
    const ipam = (list.plugins[0]!.ipam ?? {}) as Record<string, unknown>;
    ipam.dataDir = dataDir;
    const leases = () => (existsSync(path.join(dataDir, list.name)) ? readdirSync(path.join(dataDir, list.name)).filter((f) => /^\d/.test(f)) : []);
    const rt: Runtime = { containerId: "ipam-a", netns: await makeSandbox(h, "ia") };
    const add = await addList(h, list, rt);
    assert.equal(add.code, 0, add.stdout);
    const address = (add.json as { ips: { address: string }[] }).ips[0]!.address;
    assert.match(address, /^10\.90\.8\.\d+\/16$/, "from host-local's range, with the network's prefix");
    assert.deepEqual(leases(), [address.split("/")[0]], "host-local recorded the lease");
    assert.match((await sh("ip", ["-n", `${h.prefix}-ia`, "-o", "addr", "show", "dev", "eth0"])).stdout, new RegExp(address.split("/")[0]!.replace(/\./g, "\\.")));
    assert.equal((await delList(h, list, rt, add.json)).code, 0);
    assert.deepEqual(leases(), [], "DEL went through to host-local");

    // An IPAM range outside the network: the engine refuses the address, and the lease goes back.
    ipam.ranges = [[{ subnet: "10.99.0.0/24" }]];
    const rt2: Runtime = { containerId: "ipam-b", netns: await makeSandbox(h, "ib") };
    const bad = await addList(h, list, rt2);
    assert.equal(bad.code, 1);
    assert.match(String(bad.json?.msg), /10\.99\.0\./);
    assert.deepEqual(leases(), [], "the spec's undo: IPAM DEL after a failed ADD");
    assert.equal((await listed()).length, 0, "nothing applied");
  });

  test("a conflist that disagrees with the existing network is refused (7), naming the setting", async () => {
    await h.pontonOk("network", "create", "taken", "--subnet", "10.92.0.0/24");
    const conf = JSON.stringify({ cniVersion: "1.0.0", name: "clash", type: "ponton-cni", network: "taken", subnet: "10.93.0.0/24" });
    const r = await execPlugin(h, "ponton-cni", "ADD", { containerId: "clash-a", netns: await makeSandbox(h, "ca") }, conf);
    assert.equal(r.code, 1);
    assert.equal(r.json?.code, 7);
    assert.match(String(r.json?.msg), /subnet is 10\.92\.0\.0\/24, the conflist says 10\.93\.0\.0\/24/);
    const status = await execPlugin(h, "ponton-cni", "STATUS", {}, JSON.stringify({ cniVersion: "1.1.0", name: "later", type: "ponton-cni", network: "not-yet", subnet: "10.94.0.0/24" }));
    assert.equal(status.code, 0, "a described network that does not exist yet is ready: the first ADD makes it");
  });
});
