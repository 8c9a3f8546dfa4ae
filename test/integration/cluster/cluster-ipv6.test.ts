// Dual-stack cluster networks: `network create pods --scope cluster --subnet … --ipv6 --subnet6
// fd45::/56 --node-mask6 64`. Each node claims an IPv6 block in etcd beside its IPv4 one, pods get
// both addresses, and IPv6 crosses nodes in both routing modes — over VXLAN (inner IPv6 on the IPv4
// underlay: a route per remote block via its VTEP, a permanent neighbour for it) and natively (a
// route per remote block via the node's link-local address on the shared segment) — with the pods'
// own addresses (no NAT); DNS on every node answers AAAA for the other nodes' pods.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { eventually, inspect, TestHost } from "../harness";
import { Underlay } from "../underlay";
import { startNodes } from "./cluster-world";

for (const routing of ["vxlan", "native"] as const) {
  describe(`IPv6 cluster network, ${routing} routing`, () => {
    const ul = new Underlay(`v6${routing[0]}`);
    const nodes = ["n1", "n2"].map((n) => new TestHost(`hs6${routing[0]}${n}`));
    const ip6: string[] = [];
    const piece = async (h: TestHost) => (JSON.parse(await h.pontonOk("network", "ls", "-o", "json")) as { name: string; subnet4?: string; subnet6?: string }[]).find((n) => n.name === "pods");

    before(async () => {
      await ul.setUp();
      await ul.startEtcd(1);
      await startNodes(ul, nodes, { extra: ["--cluster-routing", routing], serial: true });
      await nodes[0]!.pontonOk("network", "create", "pods", "--scope", "cluster", "--subnet", "10.45.0.0/16", "--node-mask", "24", "--ipv6", "--subnet6", "fd45::/56", "--node-mask6", "64");
      for (const [i, h] of nodes.entries()) {
        assert.ok(await eventually(async () => (await piece(h))?.subnet6 !== undefined, 20_000), `n${i + 1} made its dual-stack piece`);
        await h.pontonOk("run", "-d", "--name", `p${i}`, "--network", "pods", "--label", "app=v6", "--", "socat", "TCP6-LISTEN:7000,fork,reuseaddr", `SYSTEM:echo p${i} $SOCAT_PEERADDR`);
        ip6.push(((await inspect(h, `p${i}`)).networks.find((n) => n.network === "pods") as { ip6?: string }).ip6!);
      }
    });
    after(async () => {
      for (const h of nodes) await h.tearDown();
      await ul.tearDown();
    });

    test("each node holds an IPv6 block of the range in etcd beside its IPv4 one; its pods take an address of it", async () => {
      const keys = (await ul.etcdctl("get", "--prefix", "/ponton/blocks/pods/", "--keys-only")).stdout.split("\n").filter(Boolean).sort();
      const pieces = await Promise.all(nodes.map(piece));
      assert.deepEqual(keys, pieces.flatMap((p) => [`/ponton/blocks/pods/${p!.subnet4!.replace("/", "_")}`, `/ponton/blocks/pods/${p!.subnet6!.replace("/", "_")}`]).sort());
      assert.notEqual(pieces[0]!.subnet6, pieces[1]!.subnet6);
      for (const [i, p] of pieces.entries()) {
        assert.match(p!.subnet6!, /^fd45:0:0:[0-9a-f]{1,2}::\/64$|^fd45::\/64$/);
        assert.ok(ip6[i]!.startsWith(p!.subnet6!.replace(/::\/64$/, ":")), `${ip6[i]} in ${p!.subnet6}`);
      }
    });

    test("ping -6 and TCP over IPv6 cross the nodes both ways with the pods' own addresses", async () => {
      assert.ok(await eventually(async () => (await nodes[0]!.inWorkload("p0", "ping", ["-6", "-c", "1", "-W", "1", ip6[1]!])).code === 0, 20_000), `p0 → ${ip6[1]}`);
      assert.equal((await nodes[1]!.inWorkload("p1", "ping", ["-6", "-c", "2", "-W", "2", ip6[0]!])).code, 0, `p1 → ${ip6[0]}`);
      for (const [from, to] of [[0, 1], [1, 0]] as const) {
        const r = await nodes[from]!.inWorkload(`p${from}`, "socat", ["-T", "3", "-", `TCP6:[${ip6[to]}]:7000`], 8000);
        const [who, peer] = r.stdout.trim().split(" ");
        assert.equal(who, `p${to}`, r.stdout + r.stderr);
        // socat writes the peer's address in full: compared in the URL parser's canonical (compressed) form.
        assert.equal(new URL(`http://[${peer!.replace(/^\[|\]$/g, "")}]`).hostname, `[${ip6[from]}]`, `p${to} saw ${peer} (${r.stderr})`);
      }
    });

    test("the kernel carries it as the mode says", async () => {
      const other = await piece(nodes[1]!);
      if (routing === "vxlan") {
        const routes = JSON.parse((await nodes[0]!.inHost("ip", ["-6", "-j", "route", "show", "dev", "pvx0"])).stdout) as { dst: string; gateway?: string }[];
        const vtep = other!.subnet6!.replace("/64", "");
        assert.ok(routes.some((r) => r.dst === other!.subnet6 && r.gateway === vtep), JSON.stringify(routes));
        const neigh = (await nodes[0]!.inHost("ip", ["-6", "neigh", "show", "dev", "pvx0"])).stdout;
        assert.match(neigh, new RegExp(`^${vtep} lladdr [0-9a-f:]+ PERMANENT`, "m"));
      } else {
        const ll = JSON.parse((await nodes[1]!.inHost("ip", ["-6", "-j", "addr", "show", "dev", "ul0", "scope", "link"])).stdout) as { addr_info: { local: string }[] }[];
        const routes = JSON.parse((await nodes[0]!.inHost("ip", ["-6", "-j", "route", "show", "proto", "112"])).stdout) as { dst: string; gateway: string; dev: string }[];
        assert.deepEqual(routes.map((r) => [r.dst, r.gateway, r.dev]), [[other!.subnet6, ll[0]!.addr_info[0]!.local, "ul0"]]);
        assert.notEqual((await nodes[0]!.inHost("ip", ["link", "show", "pvx0"])).code, 0, "no VXLAN device");
      }
    });

    test("a dual-stack service made on n1: its IPv6 VIP balances over the pods of both nodes from either node; AAAA for its name", async () => {
      await nodes[0]!.pontonOk("service", "create", "web6", "--port", "7000/tcp", "--selector", "app=v6", "--ip-family", "dual");
      const vip6 = (JSON.parse(await nodes[0]!.pontonOk("service", "inspect", "web6")) as { vips?: string[] }[])[0]!.vips!.find((v) => v.includes(":"))!;
      for (const [i, h] of nodes.entries()) {
        const seen = new Set<string>();
        const ok = await eventually(async () => {
          const r = await h.inWorkload(`p${i}`, "socat", ["-T", "2", "-", `TCP6:[${vip6}]:7000,connect-timeout=2`], 5000);
          if (r.code === 0) seen.add(r.stdout.trim().split(" ")[0]!);
          return seen.size === 2;
        }, 20_000, 50);
        assert.ok(ok, `from n${i + 1} over [${vip6}]: ${[...seen].join()}`);
        const aaaa = (await h.inWorkload(`p${i}`, "dig", ["+time=2", "+tries=1", "+short", "AAAA", "web6.default.svc.cluster.local"])).stdout.trim();
        assert.equal(aaaa, vip6);
      }
    });

    test("DNS on each node answers AAAA for the other node's pod", async () => {
      for (const [i, h] of nodes.entries()) {
        const other = 1 - i;
        const aaaa = async () => (await h.inWorkload(`p${i}`, "dig", ["+time=2", "+tries=1", "+short", "AAAA", `p${other}.ponton.internal`])).stdout.trim();
        assert.ok(await eventually(async () => (await aaaa()) === ip6[other], 10_000), `AAAA p${other} from n${i + 1}: ${await aaaa()}`);
      }
    });
  });
}
