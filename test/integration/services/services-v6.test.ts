// IPv6 and dual-stack services on the real kernel: an IPv6 VIP DNATs to the backends' IPv6
// addresses (every scheduler, affinity), reject when empty, host ports and hairpin over IPv6,
// a dual-stack service on both VIPs and in DNS, a k8s manifest, conntrack cleanup per endpoint.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { TestHost, eventually, UPLINK_HOST6 } from "../harness";
import { replies, tally, type Run } from "../replies";

const VIP6 = "fd00:10:96::10";

describe("services over IPv6", () => {
  let h: TestHost;
  const inCli: Run = (c, a, t) => h.inWorkload("cli", c, a, t);

  const names = (run: Run, addr: string, n: number, port = 80) => replies(run, addr, port, n);
  // TCP6-LISTEN is a dual-stack socket (bindv6only=0): the same backend serves both families.
  const backend = (name: string, label: string) =>
    h.pontonOk("run", "--name", name, "--network", "web", "--label", label, "--", "socat", "TCP6-LISTEN:80,fork,reuseaddr", `SYSTEM:echo ${name}`);
  const inspect = async (name: string) => (JSON.parse(await h.pontonOk("service", "inspect", name)) as Record<string, unknown>[])[0]!;
  const nftSet = async (set: string) => (await h.inHost("nft", ["list", "map", "inet", "ponton", set])).stdout + (await h.inHost("nft", ["list", "set", "inet", "ponton", set])).stdout;

  before(async () => {
    h = await new TestHost("s6").setUp();
    await h.pontonOk("network", "create", "web", "--subnet", "172.32.0.0/24", "--ipv6", "--subnet6", "fd00:32::/64");
    for (const b of ["a", "b", "c"]) await backend(b, "app=web");
    await h.pontonOk("run", "--name", "cli", "--network", "web");
    await h.pontonOk("service", "create", "web6", "--port", "80/tcp", "--selector", "app=web", "--ip-family", "ipv6", "--vip", VIP6);
    assert.ok(await eventually(async () => (await names(inCli, VIP6, 3)).sort().join() === "a,b,c"));
  });
  after(() => h.tearDown());

  test("rr over an IPv6 VIP: 90 new connections over 3 backends give 30/30/30, DNATed to their IPv6 addresses", async () => {
    assert.deepEqual(tally(await names(inCli, VIP6, 90)), { a: 30, b: 30, c: 30 });
    assert.match(await nftSet("svc_ips6"), new RegExp(`${VIP6} \\. tcp \\. 80 : jump svc_[0-9a-f]{16}_tcp_80_v6`));
    // The built-in default/kubernetes (10.96.0.1:443, no endpoints) is the only IPv4 element.
    assert.doesNotMatch((await nftSet("svc_ips")).replace(/10\.96\.0\.1 \. tcp \. 443 : jump svc_builtin-kubernetes_tcp_443/, ""), /elements = \{\s*[0-9]/, "an IPv6 single-stack service has no IPv4 element");
    const s = await inspect("web6");
    assert.deepEqual([s.vip, s.vips, s.ipFamilies, s.ipFamilyPolicy], [VIP6, [VIP6], ["IPv6"], "SingleStack"]);
  });

  test("every scheduler works over IPv6; sh pins a client", async () => {
    for (const s of ["wrr", "random", "dh", "lc", "wlc", "maglev", "sh"]) {
      await h.pontonOk("service", "update", "web6", "--scheduler", s);
      const got = await names(inCli, VIP6, 9);
      assert.deepEqual(got.filter((x) => !/^[abc]$/.test(x)), [], `${s}: ${got.join()}`);
    }
    assert.equal(new Set(await names(inCli, VIP6, 12)).size, 1, "sh pins the client");
    await h.pontonOk("service", "update", "web6", "--scheduler", "rr");
  });

  test("client-ip affinity over IPv6 pins the client in an ipv6_addr set", async () => {
    await h.pontonOk("service", "create", "sticky6", "--port", "80", "--selector", "app=web", "--ip-family", "ipv6", "--affinity", "client-ip");
    const vip = (await inspect("sticky6")).vip as string;
    assert.ok(await eventually(async () => /^[abc]$/.test((await names(inCli, vip, 1))[0] ?? "")));
    assert.equal(new Set(await names(inCli, vip, 12)).size, 1);
    assert.match((await h.inHost("nft", ["list", "sets", "table", "inet", "ponton"])).stdout, /type ipv6_addr\n\s*size \d+\n\s*flags dynamic,timeout/);
    await h.pontonOk("service", "rm", "sticky6");
  });

  test("dual stack: one service on both VIPs (IPv4 primary), A and AAAA in DNS, host port and external IP over IPv6, hairpin", async () => {
    await h.pontonOk("service", "create", "both", "--port", "80", "--selector", "app=web", "--ip-family", "dual", "--publish", "8600:80", "--external-ip", "2001:db8:99::10");
    const s = await inspect("both");
    const [v4, v6] = s.vips as string[];
    assert.deepEqual([s.ipFamilies, s.ipFamilyPolicy], [["IPv4", "IPv6"], "RequireDualStack"]);
    assert.match(v4!, /^10\.96\./);
    assert.match(v6!, /^fd00:10:96::/);
    assert.ok(await eventually(async () => (await names(inCli, v6!, 3)).sort().join() === "a,b,c"));
    assert.deepEqual(tally(await names(inCli, v4!, 30)), { a: 10, b: 10, c: 10 });
    assert.deepEqual(tally(await names(inCli, v6!, 30)), { a: 10, b: 10, c: 10 });
    const dig = async (type: string) => (await inCli("dig", ["+time=2", "+tries=1", "+short", type, "both.default.svc.cluster.local"])).stdout.trim();
    assert.equal(await dig("A"), v4);
    assert.equal(await dig("AAAA"), v6);
    assert.equal((await inCli("dig", ["+time=2", "+tries=1", "+short", "-x", v6!])).stdout.trim(), "both.default.svc.cluster.local.");
    assert.match((await names((c, a, t) => h.inOutside(c, a, t), UPLINK_HOST6, 1, 8600))[0]!, /^[abc]$/, "host port from outside over IPv6");
    await h.inOutside("ip", ["-6", "route", "add", "2001:db8:99::10/128", "via", UPLINK_HOST6]);
    assert.match((await names((c, a, t) => h.inOutside(c, a, t), "2001:db8:99::10", 1))[0]!, /^[abc]$/, "IPv6 external IP from outside");
    const self = await names((c, a, t) => h.inWorkload("a", c, a, t), v6!, 6);
    assert.deepEqual(self.filter((x) => !/^[abc]$/.test(x)), [], "hairpin from a backend over IPv6");
    const ls = await h.pontonOk("service", "ls");
    assert.match(ls, new RegExp(`both\\s+${v4!.replace(/\./g, "\\.")},${v6}`));
    const drop = await h.ponton("service", "update", "both", "--ip-family", "ipv4");
    assert.equal(drop.code, 2);
    assert.match(drop.stderr, /FAMILY_UNAVAILABLE: external IP 2001:db8:99::10 is IPv6/, "an IPv6 external IP needs the IPv6 family");
    assert.deepEqual((await inspect("both")).vips, [v4, v6], "nothing applied");
    await h.pontonOk("service", "rm", "both");
  });

  test("no ready endpoint: refused at once over IPv6 (TCP reset), from a workload and from the host", async () => {
    await h.pontonOk("service", "create", "empty6", "--port", "80", "--selector", "app=nobody", "--ip-family", "ipv6");
    const vip = (await inspect("empty6")).vip as string;
    assert.match(await nftSet("svc_noep6"), new RegExp(`${vip} \\. tcp \\. 80`));
    const t0 = Date.now();
    assert.equal((await inCli("curl", ["-s", "-m", "5", `http://[${vip}]/`])).code, 7, "connection refused, not a timeout (28)");
    assert.equal((await h.inHost("curl", ["-s", "-m", "5", `http://[${vip}]/`])).code, 7);
    assert.ok(Date.now() - t0 < 4000);
    await h.pontonOk("service", "rm", "empty6");
  });

  test("a k8s v1 Service with ipFamilies [IPv6] gets an IPv6 VIP and works", async () => {
    const file = `${h.dir}/v6.yaml`;
    writeFileSync(file, "apiVersion: v1\nkind: Service\nmetadata: {name: k6}\nspec:\n  ipFamilyPolicy: SingleStack\n  ipFamilies: [IPv6]\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 80}]\n");
    await h.pontonOk("service", "apply", "-f", file);
    const s = await inspect("k6");
    assert.match(s.vip as string, /^fd00:10:96::/);
    assert.ok(await eventually(async () => /^[abc]$/.test((await names(inCli, s.vip as string, 1))[0] ?? "")));
    writeFileSync(file, "apiVersion: v1\nkind: Service\nmetadata: {name: k6}\nspec:\n  ipFamilyPolicy: PreferDualStack\n  ipFamilies: [IPv6, IPv4]\n  selector: {app: web}\n  ports: [{port: 80}]\n");
    await h.pontonOk("service", "apply", "-f", file);
    const dual = (await inspect("k6")).vips as string[];
    assert.equal(dual[0], s.vip, "the IPv6 VIP is kept, an IPv4 one added");
    assert.match((await names(inCli, dual[1]!, 1))[0]!, /^[abc]$/);
    writeFileSync(file, "apiVersion: v1\nkind: Service\nmetadata: {name: k6}\nspec:\n  ipFamilyPolicy: SingleStack\n  selector: {app: web}\n  ports: [{port: 80}]\n");
    await h.pontonOk("service", "apply", "-f", file);
    assert.deepEqual((await inspect("k6")).vips, [s.vip], "single stack again keeps the primary VIP");
    assert.doesNotMatch(await nftSet("svc_ips"), new RegExp(`${dual[1]!.replace(/\./g, "\\.")} `));
    await h.pontonOk("service", "rm", "k6");
  });

  test("removing an endpoint clears its IPv6 conntrack entries only", async () => {
    for (const u of ["u1", "u2"]) await h.pontonOk("run", "--name", u, "--network", "web", "--label", "app=udp", "--", "socat", "UDP6-RECVFROM:53,fork", `SYSTEM:echo ${u}`);
    await h.pontonOk("service", "create", "udp6", "--port", "53/udp", "--selector", "app=udp", "--ip-family", "ipv6");
    const vip = (await inspect("udp6")).vip as string;
    const ask = (sport: number) => inCli("sh", ["-c", `echo q | socat -T1 - UDP:[${vip}]:53,sourceport=${sport},reuseaddr`]);
    assert.ok(await eventually(async () => /^u[12]$/.test((await ask(5301)).stdout.trim())));
    // rr: two more source ports land on both endpoints (each flow is its own conntrack entry).
    const seen = new Set([(await ask(5302)).stdout.trim(), (await ask(5303)).stdout.trim()]);
    assert.deepEqual([...seen].sort(), ["u1", "u2"]);
    const ip6 = async (w: string) => ((await inspect("udp6")).endpoints as { workload: string; ip6: string }[]).find((e) => e.workload === w)!.ip6;
    const [u1, u2] = [await ip6("u1"), await ip6("u2")];
    const flows = async () => (await h.inHost("conntrack", ["-L", "-p", "udp", "--orig-dst", vip])).stdout;
    assert.match(await flows(), new RegExp(`src=${u1} `));
    assert.match(await flows(), new RegExp(`src=${u2} `));
    await h.pontonOk("rm", "u1", "--time", "0");
    assert.ok(await eventually(async () => ((await inspect("udp6")).conntrackCleared as number) >= 1));
    assert.doesNotMatch(await flows(), new RegExp(`src=${u1} `), "u1's flows are gone");
    assert.match(await flows(), new RegExp(`src=${u2} `), "u2's flow is untouched");
    await h.pontonOk("service", "rm", "udp6");
  });

  test("endpoints on an IPv6-only network back an IPv6 VIP; the health check probes their IPv6 address", async () => {
    await h.pontonOk("network", "create", "only6", "--subnet", "fd00:33::/64");
    for (const n of ["o1", "o2"]) {
      // o2 answers on 80 but not on the health check's target (81 is closed on it).
      await h.pontonOk("run", "--name", n, "--network", "only6", "--label", "app=only6", "--", "sh", "-c",
        `socat TCP6-LISTEN:80,fork,reuseaddr SYSTEM:'echo ${n}' & ${n === "o1" ? "socat TCP6-LISTEN:81,fork,reuseaddr SYSTEM:'echo ok' &" : ""} wait`);
    }
    await h.pontonOk("service", "create", "only6", "--port", "80/tcp", "--selector", "app=only6", "--ip-family", "ipv6");
    const vip = (await inspect("only6")).vip as string;
    assert.match(vip, /^fd00:10:96::/);
    const eps = (await inspect("only6")).endpoints as { workload: string; ip: string; ip6?: string }[];
    assert.deepEqual(eps.map((e) => [e.workload, /^fd00:33::/.test(e.ip), /^fd00:33::/.test(e.ip6 ?? "")]), [["o1", true, true], ["o2", true, true]]);
    assert.ok(await eventually(async () => new Set(await names(inCli, vip, 6)).size === 2), "both IPv6-only endpoints serve");
    // A TCP health check on port 81 (as a target port): o1 passes over IPv6, o2 fails and leaves.
    await h.pontonOk("service", "create", "only6hc", "--port", "80:81/tcp", "--selector", "app=only6", "--ip-family", "ipv6", "--health", "tcp", "--health-interval", "0.2");
    const healthy = async () => ((await inspect("only6hc")).endpoints as { workload: string; healthy: boolean }[]).filter((e) => e.healthy).map((e) => e.workload).join();
    assert.ok(await eventually(async () => (await healthy()) === "o1"), `healthy: ${await healthy()}`);
    assert.deepEqual(new Set(await names(inCli, (await inspect("only6hc")).vip as string, 4)), new Set(["ok"]));
    for (const n of ["only6", "only6hc"]) await h.pontonOk("service", "rm", n);
    for (const n of ["o1", "o2"]) await h.pontonOk("rm", "-f", n);
    await h.pontonOk("network", "rm", "only6");
  });

  test("every change above went in as an incremental transaction (no diff refused, no full reload), mostly over netlink", async () => {
    const info = await h.client.request<{ nftDiffFallbacks: number; nftCommits: { netlink: number; nft: number } }>("GET", "/v1/info");
    assert.equal(info.nftDiffFallbacks, 0);
    // Affinity sets and network changes still go through `nft -f`; service and endpoint changes do not.
    assert.ok(info.nftCommits.netlink > info.nftCommits.nft, JSON.stringify(info.nftCommits));
  });

  test("bad input: clear error with a code, nothing applied", async () => {
    const before = await nftSet("svc_ips6");
    const bad = async (code: number, pattern: RegExp, ...args: string[]) => {
      const r = await h.ponton("service", "create", "bad", "--port", "80", "--selector", "app=web", ...args);
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, pattern);
      assert.equal((await h.ponton("service", "inspect", "bad")).code, 4);
    };
    await bad(2, /ADDRESS_OUT_OF_SUBNET.*fd00:99::1/, "--vip", "fd00:99::1");
    await bad(3, /ADDRESS_IN_USE.*web6/, "--vip", VIP6);
    await bad(2, /INVALID_ARGUMENT.*one VIP per family/, "--vip", "fd00:10:96::20", "--vip", "fd00:10:96::21");
    await bad(2, /INVALID_ARGUMENT.*--ip-family/, "--ip-family", "ipv5");
    await bad(2, /INVALID_ARGUMENT.*does not list/, "--ip-family", "ipv4", "--vip", "fd00:10:96::20");
    await bad(2, /FAMILY_UNAVAILABLE.*2001:db8::9/, "--external-ip", "2001:db8::9");
    assert.equal(await nftSet("svc_ips6"), before);
  });
});
