// Native routing: what a node's HOST sends to a pod on another node. The other node admits from its
// underlay only cluster sources, so the host's own connections (a client on the host, the L7 proxy's
// egress connection) and the connections it NATs (a service VIP reached from the host, a NodePort
// reached from outside) must leave from an address inside the node's own block — its gateway there,
// as Flannel host-gw and Calico do — not from its underlay address.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { eventually, inspect, TestHost } from "../harness";
import { Underlay, UNDERLAY_PREFIX } from "../underlay";
import { startNodes } from "./cluster-world";

const NODE_PORT = 30046;

/** socat prints an IPv6 peer in full (0000:…:ffff:0a2e:0001 for a v4-mapped one): as dotted IPv4 or compressed IPv6. */
function canon(addr: string): string {
  if (!addr.includes(":")) return addr;
  const [head, tail = ""] = addr.split("::");
  const parts = (s: string) => (s ? s.split(":").map((g) => parseInt(g, 16)) : []);
  const h = parts(head!);
  const t = parts(tail);
  const g = [...h, ...Array(8 - h.length - t.length).fill(0), ...t] as number[];
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return [g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255].join(".");
  return g.map((x) => x.toString(16)).join(":");
}

describe("native routing: a node's host reaches pods on another node", () => {
  const ul = new Underlay("hnh");
  const nodes = ["n1", "n2"].map((n) => new TestHost(`hn${n}`));
  let outside = "";
  let pod4 = "";
  let pod6 = "";
  /** n1's piece of `pods`: its gateway addresses (the sources the pod on n2 must see). */
  let gw4 = "";
  let gw6 = "";
  /** One connection from `run` to ip:port; the pod answers with the address it saw. */
  const peer = async (run: (c: string, a: string[]) => Promise<{ stdout: string; stderr: string }>, target: string) => {
    const r = await run("socat", ["-T", "3", "-u", `${target},connect-timeout=2`, "-"]);
    return r.stdout.trim() ? canon(r.stdout.trim().replace(/^\[|\]$/g, "")) : `ERR ${r.stderr.trim()}`;
  };
  const fromHost = (c: string, a: string[]) => nodes[0]!.inHost(c, a, 8000);

  before(async () => {
    await ul.setUp();
    await ul.startEtcd(1);
    await startNodes(ul, nodes, { extra: ["--cluster-routing", "native"], serial: true });
    await nodes[0]!.pontonOk("network", "create", "pods", "--scope", "cluster", "--subnet", "10.46.0.0/16", "--node-mask", "24", "--ipv6", "--subnet6", "fd46::/56", "--node-mask6", "64");
    for (const h of nodes) {
      assert.ok(await eventually(async () => (JSON.parse(await h.pontonOk("network", "ls", "-o", "json")) as { name: string }[]).some((n) => n.name === "pods"), 20_000));
    }
    const net = (JSON.parse(await nodes[0]!.pontonOk("network", "inspect", "pods")) as { gateway4: string; gateway6: string }[])[0]!;
    [gw4, gw6] = [net.gateway4, canon(net.gateway6)];
    await nodes[1]!.pontonOk("run", "-d", "--name", "w1", "--network", "pods", "--label", "app=web", "--", "socat", "TCP6-LISTEN:80,ipv6only=0,fork,reuseaddr", "SYSTEM:echo $SOCAT_PEERADDR");
    const a = (await inspect(nodes[1]!, "w1")).networks.find((n) => n.network === "pods") as unknown as { ip4: string; ip6: string };
    [pod4, pod6] = [a.ip4, a.ip6];
    outside = await ul.addNamespace("out", `${UNDERLAY_PREFIX}.60`);
    // A dual-stack underlay: n1's host then picks this address as its IPv6 source toward n2's block.
    assert.equal((await nodes[0]!.inHost("ip", ["-6", "addr", "add", "2001:db8:46::11/64", "dev", "ul0", "nodad"])).code, 0);
  });
  after(async () => {
    for (const h of nodes) await h.tearDown();
    await ul.tearDown();
  });

  test("a client on n1's host reaches the pod on n2 over IPv4, from n1's gateway in the network", async () => {
    assert.ok(gw4.startsWith("10.46."), gw4);
    assert.ok(await eventually(async () => (await peer(fromHost, `TCP4:${pod4}:80`)) === gw4, 15_000), `the pod saw ${await peer(fromHost, `TCP4:${pod4}:80`)}`);
  });

  test("and over IPv6 from a host with a global IPv6 address on its underlay (the block is routed via n2's link-local address)", async () => {
    assert.ok(gw6.startsWith("fd46:"), gw6);
    assert.ok(await eventually(async () => (await peer(fromHost, `TCP6:[${pod6}]:80`)) === gw6, 15_000), `the pod saw ${await peer(fromHost, `TCP6:[${pod6}]:80`)}`);
  });

  test("a service VIP reached from n1's host, whose only endpoint is on n2", async () => {
    await nodes[0]!.pontonOk("service", "create", "web", "--port", "80/tcp", "--selector", "app=web", "--ip-family", "dual", "--publish", `${NODE_PORT}:80`);
    const vips = (JSON.parse(await nodes[0]!.pontonOk("service", "inspect", "web")) as { vips?: string[] }[])[0]!.vips!;
    const VIP = vips.find((v) => !v.includes(":"))!;
    assert.ok(await eventually(async () => (await peer(fromHost, `TCP4:${VIP}:80`)) === gw4, 15_000), `over ${VIP} the pod saw ${await peer(fromHost, `TCP4:${VIP}:80`)}`);
  });

  test("and its IPv6 VIP reached from n1's host", async () => {
    const vip6 = (JSON.parse(await nodes[0]!.pontonOk("service", "inspect", "web")) as { vips?: string[] }[])[0]!.vips!.find((v) => v.includes(":"))!;
    assert.ok(await eventually(async () => (await peer(fromHost, `TCP6:[${vip6}]:80`)) === gw6, 15_000), `over ${vip6} the pod saw ${await peer(fromHost, `TCP6:[${vip6}]:80`)}`);
  });

  test("the NodePort on n1 reached from outside the cluster, whose only endpoint is on n2", async () => {
    const fromOutside = (c: string, a: string[]) => ul.run(outside, c, a);
    const target = `TCP4:${UNDERLAY_PREFIX}.11:${NODE_PORT}`;
    assert.ok(await eventually(async () => (await peer(fromOutside, target)) === gw4, 15_000), `the pod saw ${await peer(fromOutside, target)}`);
  });
});
