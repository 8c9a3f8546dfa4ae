// Ponton hands out every address and MAC: the host's entry for each workload (on the bridge) and
// each workload's entry for its gateway are permanent, so neither side sends ARP/ND for the other
// and thousands of workloads do not overflow the kernel's machine-wide neighbour table (gc_thresh3).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestHost, eventually, inspect, ping, sh } from "../harness";

interface Neigh {
  dst: string;
  lladdr?: string;
  state?: string[];
}

describe("neighbour entries", () => {
  let h: TestHost;
  let br = "";
  before(async () => {
    h = await new TestHost("nb").setUp();
    await h.pontonOk("network", "create", "nn", "--subnet", "10.61.0.0/24", "--ipv6", "--subnet6", "fd00:61::/64");
    br = (JSON.parse(await h.pontonOk("network", "inspect", "nn")) as { bridge: string }[])[0]!.bridge;
  });
  after(async () => {
    await h.inHost("nft", ["delete", "table", "bridge", "nbcount"]);
    await h.tearDown();
  });

  const hostNeighbours = async (): Promise<Neigh[]> => JSON.parse((await h.inHost("ip", ["-j", "neigh", "show", "dev", br])).stdout || "[]") as Neigh[];
  const permanentOnHost = async (ip: string, mac: string) => (await hostNeighbours()).some((n) => n.dst === ip && n.lladdr === mac && n.state?.includes("PERMANENT"));

  test("both ends are known at once: no ARP or ND between a workload and its gateway, either way", async () => {
    // A throwaway bridge-family table in the test's host namespace counts neighbour discovery on the
    // bridge (duplicate address detection, from ::, is not address resolution).
    const chain = (hook: string) => `  chain ${hook} {
    type filter hook ${hook} priority 0;
    ether type arp counter
    ip6 saddr != :: icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } counter
  }`;
    const nftScript = `table bridge nbcount {\n${chain("input")}\n${chain("output")}\n}\n`;
    const made = await sh("nsenter", [`--net=/run/netns/${h.hostNs}`, "nft", "-f", "-"], { input: nftScript });
    assert.equal(made.code, 0, made.stderr);

    await h.pontonOk("run", "--name", "a", "--network", "nn");
    const a = await inspect(h, "a");
    const net = a.networks[0]! as { ip4?: string; ip6?: string };
    const mac = (JSON.parse((await h.inWorkload("a", "ip", ["-j", "link", "show", "eth0"])).stdout) as { address: string }[])[0]!.address;
    const gwMac = (JSON.parse((await h.inHost("ip", ["-j", "link", "show", br])).stdout) as { address: string }[])[0]!.address;
    assert.ok(await ping(h, "a", "10.61.0.1"), "a → gateway (IPv4)");
    assert.equal((await h.inWorkload("a", "ping", ["-6", "-c", "1", "-W", "1", "fd00:61::1"])).code, 0, "a → gateway (IPv6)");
    assert.equal((await h.inHost("ping", ["-c", "1", "-W", "1", net.ip4!])).code, 0, "host → a (IPv4)");
    assert.equal((await h.inHost("ping", ["-6", "-c", "1", "-W", "1", net.ip6!])).code, 0, "host → a (IPv6)");
    const counters = (await h.inHost("nft", ["list", "table", "bridge", "nbcount"])).stdout;
    const packets = [...counters.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
    assert.equal(packets.length, 4);
    assert.deepEqual(packets, [0, 0, 0, 0], `no ARP/ND on the bridge:\n${counters}`);
    assert.ok(await permanentOnHost(net.ip4!, mac), `host: permanent IPv4 entry for a (${mac}): ${JSON.stringify(await hostNeighbours())}`);
    assert.ok(await permanentOnHost(net.ip6!, mac), "host: permanent IPv6 entry for a");
    const inside = JSON.parse((await h.inWorkload("a", "ip", ["-j", "neigh", "show", "dev", "eth0"])).stdout) as Neigh[];
    for (const gw of ["10.61.0.1", "fd00:61::1"]) {
      assert.ok(inside.some((n) => n.dst === gw && n.lladdr === gwMac && n.state?.includes("PERMANENT")), `a: permanent entry for gateway ${gw} → ${gwMac}`);
    }
  });

  test("a removed workload's host entries go with it; a rebuilt bridge gets them back", async () => {
    await h.pontonOk("run", "--name", "b", "--network", "nn");
    const b = (await inspect(h, "b")).networks[0]! as { ip4?: string; ip6?: string };
    const a = (await inspect(h, "a")).networks[0]!;
    await h.pontonOk("rm", "b");
    const left = await hostNeighbours();
    assert.ok(!left.some((n) => n.dst === b.ip4 || n.dst === b.ip6), `b's entries are gone: ${JSON.stringify(left)}`);

    // A foreign deletion of the bridge: the healer rebuilds it and re-enslaves a's port, with a's entries.
    assert.equal((await h.inHost("ip", ["link", "del", br])).code, 0);
    assert.ok(
      await eventually(async () => (await hostNeighbours()).some((n) => n.dst === a.ip4 && n.state?.includes("PERMANENT")), 20_000),
      "a's host entry is back on the rebuilt bridge",
    );
    assert.ok(await eventually(() => ping(h, "a", "10.61.0.1"), 10_000), "a reaches its gateway again");
  });
});
