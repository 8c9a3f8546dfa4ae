// IPv6-only cluster networks: `network create pods6 --scope cluster --ipv6 --subnet6 fd46::/56
// --node-mask6 64`, no IPv4 range. Each node claims an IPv6 block in etcd and nothing else, its pods
// have an IPv6 address alone, and IPv6 crosses nodes in both routing modes (inside the IPv4-underlay
// VXLAN, or natively via the node's link-local address); an IPv6 service made on one node balances
// over the pods of both from either node, and DNS on every node answers AAAA for the other's pods.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { eventually, inspect, TestHost } from "../harness";
import { Underlay } from "../underlay";
import { startNodes } from "./cluster-world";

for (const routing of ["vxlan", "native"] as const) {
  describe(`IPv6-only cluster network, ${routing} routing`, () => {
    const ul = new Underlay(`hr6${routing[0]}`);
    const nodes = ["n1", "n2"].map((n) => new TestHost(`hr6${routing[0]}${n}`));
    const ip6: string[] = [];
    const piece = async (h: TestHost) => (JSON.parse(await h.pontonOk("network", "ls", "-o", "json")) as { name: string; subnet4?: string; subnet6?: string }[]).find((n) => n.name === "pods6");

    before(async () => {
      await ul.setUp();
      await ul.startEtcd(1);
      await startNodes(ul, nodes, { extra: ["--cluster-routing", routing], serial: true });
      await nodes[0]!.pontonOk("network", "create", "pods6", "--scope", "cluster", "--ipv6", "--subnet6", "fd46::/56", "--node-mask6", "64");
      for (const [i, h] of nodes.entries()) {
        assert.ok(await eventually(async () => (await piece(h))?.subnet6 !== undefined, 20_000), `n${i + 1} made its IPv6 piece`);
        await h.pontonOk("run", "-d", "--name", `q${i}`, "--network", "pods6", "--label", "app=v6only", "--", "socat", "TCP6-LISTEN:7000,fork,reuseaddr", `SYSTEM:echo q${i} $SOCAT_PEERADDR`);
        ip6.push(((await inspect(h, `q${i}`)).networks.find((n) => n.network === "pods6") as { ip6?: string }).ip6!);
      }
    });
    after(async () => {
      for (const h of nodes) await h.tearDown();
      await ul.tearDown();
    });

    test("each node holds one IPv6 block in etcd and no IPv4 one; its pieces and pods have IPv6 alone", async () => {
      const keys = (await ul.etcdctl("get", "--prefix", "/ponton/blocks/pods6/", "--keys-only")).stdout.split("\n").filter(Boolean).sort();
      const pieces = await Promise.all(nodes.map(piece));
      assert.deepEqual(keys, pieces.map((p) => `/ponton/blocks/pods6/${p!.subnet6!.replace("/", "_")}`).sort());
      assert.notEqual(pieces[0]!.subnet6, pieces[1]!.subnet6);
      for (const [i, p] of pieces.entries()) {
        assert.equal(p!.subnet4, undefined, `n${i + 1}'s piece has no IPv4 subnet`);
        assert.ok(ip6[i]!.startsWith(p!.subnet6!.replace(/::\/64$/, ":")), `${ip6[i]} in ${p!.subnet6}`);
        const net = (await inspect(nodes[i]!, `q${i}`)).networks.find((n) => n.network === "pods6")!;
        assert.equal(net.ip4, undefined, "no IPv4 address");
      }
    });

    test("ping -6 and TCP over IPv6 cross the nodes both ways with the pods' own addresses", async () => {
      assert.ok(await eventually(async () => (await nodes[0]!.inWorkload("q0", "ping", ["-6", "-c", "1", "-W", "1", ip6[1]!])).code === 0, 20_000), `q0 → ${ip6[1]}`);
      assert.equal((await nodes[1]!.inWorkload("q1", "ping", ["-6", "-c", "2", "-W", "2", ip6[0]!])).code, 0, `q1 → ${ip6[0]}`);
      for (const [from, to] of [[0, 1], [1, 0]] as const) {
        const r = await nodes[from]!.inWorkload(`q${from}`, "socat", ["-T", "3", "-", `TCP6:[${ip6[to]}]:7000`], 8000);
        const [who, peer] = r.stdout.trim().split(" ");
        assert.equal(who, `q${to}`, r.stdout + r.stderr);
        assert.equal(new URL(`http://[${peer!.replace(/^\[|\]$/g, "")}]`).hostname, `[${ip6[from]}]`, `q${to} saw ${peer} (${r.stderr})`);
      }
    });

    test("an IPv6 service made on n1 balances over the pods of both nodes from either node; AAAA for its name and for the other node's pod", async () => {
      await nodes[0]!.pontonOk("service", "create", "only6", "--port", "7000/tcp", "--selector", "app=v6only", "--ip-family", "ipv6");
      const vip6 = (JSON.parse(await nodes[0]!.pontonOk("service", "inspect", "only6")) as { vips?: string[] }[])[0]!.vips!.find((v) => v.includes(":"))!;
      for (const [i, h] of nodes.entries()) {
        const seen = new Set<string>();
        const ok = await eventually(async () => {
          const r = await h.inWorkload(`q${i}`, "socat", ["-T", "2", "-", `TCP6:[${vip6}]:7000,connect-timeout=2`], 5000);
          if (r.code === 0) seen.add(r.stdout.trim().split(" ")[0]!);
          return seen.size === 2;
        }, 20_000, 50);
        assert.ok(ok, `from n${i + 1} over [${vip6}]: ${[...seen].join()}`);
        const dig = async (name: string) => (await h.inWorkload(`q${i}`, "dig", ["+time=2", "+tries=1", "+short", "AAAA", name])).stdout.trim();
        assert.equal(await dig("only6.default.svc.cluster.local"), vip6);
        const other = 1 - i;
        assert.ok(await eventually(async () => (await dig(`q${other}.ponton.internal`)) === ip6[other], 10_000), `AAAA q${other} from n${i + 1}`);
      }
    });
  });
}
