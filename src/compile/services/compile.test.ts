import { test } from "node:test";
import assert from "node:assert/strict";
import { compileNft } from "../nft-compile";
import { renderDiff, renderFull } from "../nft-render";
import type { Service } from "../../model/services/service";
import type { DesiredState } from "../../model/types";

const net = { id: "n1", name: "web", driver: "bridge" as const, bridge: "pbr-n1", subnet4: "172.30.0.0/24", gateway4: "172.30.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const wl = (i: number, app: string) => ({ id: `w${i}`, name: `w${i}`, labels: { app }, netnsMode: "owned" as const, netns: "x", command: [], env: {}, restart: "no" as const, routes: [], ports: [], state: "running" as const, createdAt: "" });
const att = (i: number) => ({ workloadId: `w${i}`, networkId: "n1", ifname: "eth0", hostIfname: `pv-${i}`, mac: "", ip4: `172.30.0.${i + 2}`, index: 0 });
const svc = (i: number, app: string, scheduler: Service["scheduler"] = "rr"): Service => ({
  id: (0x1000 + i).toString(16).padStart(16, "0"), name: `s${String(i).padStart(5, "0")}`, vip: `10.96.1.${i + 1}`,
  ports: [{ port: 80, targetPort: 8080, protocol: "tcp" }], selector: { app }, scheduler, weights: {}, externalIps: [], createdAt: "",
});
const base = (services: Service[], n = 2): DesiredState => ({
  networks: [net], workloads: [...Array(n).keys()].map((i) => wl(i, "web")), attachments: [...Array(n).keys()].map(att), userRules: [], services,
});

/** The endpoints a rule picks from, in slot order, read back from the shared slot map (svc_eps, svc_eps6). */
function slotted(full: string, mod: number, map = "svc_eps", expr = "numgen inc"): string[] {
  const m = new RegExp(`ct mark set ${expr.replace(/\./g, "\\.")} mod ${mod}(?: seed 0x[0-9a-f]+)? offset (\\d+)$`, "m").exec(full);
  assert.ok(m, `no slotted rule ${expr} mod ${mod} in:\n${full}`);
  const elements = new RegExp(`map ${map} \\{[^}]*elements = \\{ ([^}]*) \\}`).exec(full)![1]!.split(", ");
  const at = new Map(elements.map((e) => e.split(" : ") as [string, string]));
  return [...Array(mod).keys()].map((i) => at.get(String(Number(m[1]) + i)) ?? "missing");
}

test("a service compiles to one chain whose one rr rule picks a slot of the shared endpoint map, and a verdict-map element", () => {
  const full = renderFull(compileNft(base([svc(0, "web")])));
  assert.match(full, /10\.96\.1\.1 \. tcp \. 80 : jump svc_0000000000001000_tcp_80/);
  // Slots are ct marks with the top bit: never a policy decision id.
  assert.match(full, /chain svc_0000000000001000_tcp_80 \{\n\s*ct mark set numgen inc mod 2 offset 2147483648\n/);
  assert.deepEqual(slotted(full, 2), ["172.30.0.2 . 8080", "172.30.0.3 . 8080"]);
  assert.doesNotMatch(full, / map \{/, "no anonymous map per service"); // (the policy chains dispatch through a vmap)
});

test("each service port has its own slot block; a removed service's block is reused", () => {
  const a = renderFull(compileNft(base([svc(0, "web"), { ...svc(1, "web"), ports: [{ port: 80, targetPort: 8080, protocol: "tcp" }, { port: 81, targetPort: 8081, protocol: "tcp" }] }])));
  const offsets = [...a.matchAll(/ct mark set numgen inc mod 2 offset (\d+)/g)].map((m) => Number(m[1]));
  assert.equal(new Set(offsets).size, 3);
  for (const o of offsets) assert.ok(o >= 0x80000000 && o % 65536 === 0, `${o}`);
  compileNft(base([svc(1, "web")]));
  const reused = renderFull(compileNft(base([svc(1, "web"), svc(2, "web")])));
  const third = Number(/svc_0000000000001002_tcp_80 \{\s*ct mark set numgen inc mod 2 offset (\d+)/.exec(reused)![1]);
  assert.ok(offsets.includes(third), `block ${third} reused from ${offsets}`);
});

test("wrr spreads its weights over consecutive slots (1/1/98 is 100 slots, 200/200/200 is 3); maglev's table fills its block", () => {
  const weighted = base([{ ...svc(0, "web", "wrr"), weights: { w0: 1, w1: 1, w2: 98 } }], 3);
  const targets = slotted(renderFull(compileNft(weighted)), 100);
  assert.deepEqual([targets.filter((t) => t.startsWith("172.30.0.2 ")).length, targets.filter((t) => t.startsWith("172.30.0.3 ")).length, targets.filter((t) => t.startsWith("172.30.0.4 ")).length], [1, 1, 98]);
  assert.deepEqual(slotted(renderFull(compileNft(base([{ ...svc(0, "web", "wrr"), weights: { w0: 200, w1: 200, w2: 200 } }], 3))), 3).length, 3);
  const maglev = renderFull(compileNft(base([svc(0, "web", "maglev")], 3)));
  assert.match(maglev, /ct mark set jhash @nh,96,32 \. @th,0,16 mod 1021 seed 0x[0-9a-f]+ offset \d+$/m);
  assert.equal(/map svc_eps \{[^}]*elements = \{ ([^}]*) \}/.exec(maglev)![1]!.split(", ").length, 1021);
});

test("no endpoint: the service is in svc_noep and its chain is empty", () => {
  const full = renderFull(compileNft(base([svc(0, "nobody")])));
  assert.match(full, /set svc_noep \{[^}]*10\.96\.1\.1 \. tcp \. 80/);
});

test("adding one service or one endpoint among many is a few lines, whatever the total", () => {
  const many = [...Array(2000).keys()].map((i) => svc(i, `f${i}`));
  const before = compileNft(base([...many, svc(5000, "web")]));
  const oneMore = renderDiff(before, compileNft(base([...many, svc(5000, "web"), svc(5001, "web")])))!;
  assert.equal(oneMore.trim().split("\n").length, 4, oneMore);
  const endpoint = renderDiff(before, compileNft(base([...many, svc(5000, "web")], 3)))!;
  assert.deepEqual(endpoint.trim().split("\n").map((l) => l.split(" ").slice(0, 2).join(" ")), ["flush chain", "add rule", "add element"]);
  assert.match(endpoint, /add element inet ponton svc_eps \{ \d+ : 172\.30\.0\.4 \. 8080 \}/);
});

test("sh and maglev carry a fixed jhash seed (a rewrite must not re-pin clients)", () => {
  for (const s of ["sh", "maglev"] as const) assert.match(renderFull(compileNft(base([svc(0, "web", s)]))), /jhash @nh,96,32.* seed 0x00000000/);
});

test("a selector matches workloads of the service's namespace only", () => {
  const s = base([{ ...svc(0, "web"), namespace: "x" }], 3);
  s.workloads = s.workloads.map((w, i) => (i === 1 ? { ...w, namespace: "x" } : w));
  const full = renderFull(compileNft(s));
  assert.deepEqual(slotted(full, 1), ["172.30.0.3 . 8080"]);
  const dflt = renderFull(compileNft({ ...s, services: [svc(0, "web")] }));
  assert.deepEqual(slotted(dflt, 2), ["172.30.0.2 . 8080", "172.30.0.4 . 8080"]);
});

test("two services of one name in two namespaces compile side by side, in key order", () => {
  const a = svc(0, "web");
  const b = { ...svc(1, "web"), name: a.name, namespace: "x" };
  const plan = compileNft(base([a, b]));
  assert.deepEqual(plan.services!.map((f) => f.name), [a.name, `x/${a.name}`]);
  const diff = renderDiff(compileNft(base([a])), plan)!;
  assert.match(diff, /add chain inet ponton svc_0000000000001001_tcp_80/);
});

test("a named target port is resolved on each endpoint; an endpoint without it is left out of that port", () => {
  const s = base([{ ...svc(0, "web"), ports: [{ port: 80, targetPort: "web", protocol: "tcp" }] }], 3);
  const ports = [8080, 9090];
  s.workloads = s.workloads.map((w, i) => (i < 2 ? { ...w, exposes: [{ name: "web", port: ports[i]!, protocol: "TCP" as const }] } : w));
  const plan = compileNft(s);
  assert.deepEqual(slotted(renderFull(plan), 2), ["172.30.0.2 . 8080", "172.30.0.3 . 9090"]);
  assert.deepEqual(plan.services![0]!.endpoints[0]!.endpoints, ["172.30.0.2:8080", "172.30.0.3:9090"]);
});

// Dual stack: the same backends with IPv6 addresses on the attachment.
const att6 = (i: number) => ({ ...att(i), ip6: `fd00:30::${i + 2}` });
const base6 = (services: Service[], n = 2): DesiredState => ({ ...base(services, n), attachments: [...Array(n).keys()].map(att6) });
const dual = (i: number, app: string, scheduler: Service["scheduler"] = "rr"): Service => ({ ...svc(i, app, scheduler), vips: [`10.96.1.${i + 1}`, `fd00:10:96::${i + 1}`], ipFamilyPolicy: "RequireDualStack" });

test("dual stack: the IPv6 VIP is in svc_ips6 and its own chain DNATs to the endpoints' IPv6 addresses", () => {
  const full = renderFull(compileNft(base6([dual(0, "web")])));
  assert.match(full, /map svc_ips \{[^}]*10\.96\.1\.1 \. tcp \. 80 : jump svc_0000000000001000_tcp_80 \}/);
  assert.match(full, /map svc_ips6 \{[^}]*fd00:10:96::1 \. tcp \. 80 : jump svc_0000000000001000_tcp_80_v6 \}/);
  assert.deepEqual(slotted(full, 2), ["172.30.0.2 . 8080", "172.30.0.3 . 8080"]);
  const v6rule = /chain svc_0000000000001000_tcp_80_v6 \{\n\s*(.*)\n/.exec(full)![1]!;
  assert.deepEqual(slotted(v6rule + "\n" + full.slice(full.indexOf("map svc_eps6 {")), 2, "svc_eps6"), ["fd00:30::2 . 8080", "fd00:30::3 . 8080"]);
  assert.match(full, /ip6 daddr \. meta l4proto \. th dport vmap @svc_ips6/);
});

test("every scheduler has an IPv6 form: hashes over the IPv6 header's fields", () => {
  const want: Record<Service["scheduler"], RegExp> = {
    rr: /ct mark set numgen inc mod 2 offset \d+/,
    wrr: /ct mark set numgen inc mod 2 offset \d+/,
    random: /ct mark set numgen random mod 2 offset \d+/,
    sh: /ct mark set jhash @nh,64,128 mod 2 seed 0x00000000 offset \d+/,
    dh: /ct mark set jhash @nh,192,128 mod 2 seed 0x00000000 offset \d+/,
    lc: /ct mark set numgen inc mod 2 offset \d+/,
    wlc: /ct mark set numgen inc mod 2 offset \d+/,
    maglev: /ct mark set jhash @nh,64,128 \. @th,0,16 mod 1021 seed 0x00000000 offset \d+/,
  };
  for (const [s, re] of Object.entries(want)) {
    const full = renderFull(compileNft(base6([dual(0, "web", s as Service["scheduler"])])));
    const v6chain = /chain svc_0000000000001000_tcp_80_v6 \{\n([^}]*\})/.exec(full)![1]!;
    assert.match(v6chain, re, s);
    assert.doesNotMatch(v6chain, /\bip (saddr|daddr|to)\b/, s);
  }
  const wrr = renderFull(compileNft(base6([dual(0, "web", "wrr")])));
  const v6rule = /chain svc_0000000000001000_tcp_80_v6 \{\n\s*(.*)\n/.exec(wrr)![1]!;
  assert.deepEqual(slotted(v6rule + "\n" + wrr.slice(wrr.indexOf("map svc_eps6 {")), 2, "svc_eps6"), ["fd00:30::2 . 8080", "fd00:30::3 . 8080"]);
});

test("IPv6 single stack: no IPv4 element; no IPv6 endpoint (IPv4-only network) puts the VIP in svc_noep6", () => {
  const v6: Service = { ...svc(0, "web"), vip: "fd00:10:96::1", vips: ["fd00:10:96::1"], externalIps: ["2001:db8::7"] };
  const plan = compileNft(base([v6]));
  const full = renderFull(plan);
  assert.match(full, /set svc_noep6 \{[^}]*elements = \{ 2001:db8::7 \. tcp \. 80, fd00:10:96::1 \. tcp \. 80 \}/);
  assert.doesNotMatch(full, /map svc_ips \{[^}]*elements/);
  assert.deepEqual(plan.services![0]!.endpoints.map((e) => e.chain), ["svc_0000000000001000_tcp_80_v6"]);
});

test("client-ip affinity over IPv6: ipv6_addr timeout sets, ip6 saddr lookups, one chain per endpoint", () => {
  const full = renderFull(compileNft(base6([{ ...dual(0, "web"), affinityTimeoutS: 600 }])));
  const set = "aff_0000000000001000_tcp_80_fd000030000000000000000000000002_600";
  assert.match(full, new RegExp(`set ${set} \\{ type ipv6_addr; flags dynamic,timeout; timeout 600s; \\}`));
  assert.match(full, new RegExp(`ip6 saddr @${set} goto svc_0000000000001000_tcp_80_v6_ep_fd000030000000000000000000000002`));
  assert.match(full, new RegExp(`update @${set} \\{ ip6 saddr \\}\\n\\s*meta l4proto tcp dnat ip6 to \\[fd00:30::2\\]:8080`));
});

test("a host port of a dual-stack service is in svc_ports and svc_ports6, each to its family's chain", () => {
  const s = { ...dual(0, "nobody"), ports: [{ port: 80, targetPort: 8080, protocol: "tcp" as const, hostPort: 30080 }] };
  const full = renderFull(compileNft(base6([s])));
  assert.match(full, /map svc_ports6 \{[^}]*tcp \. 30080 : jump svc_0000000000001000_tcp_80_v6 \}/);
  assert.match(full, /set svc_noep_ports6 \{[^}]*tcp \. 30080 \}/);
  assert.match(full, /set svc_noep6 \{[^}]*fd00:10:96::1 \. tcp \. 80 \}/);
});

test("adding a dual-stack service or an IPv6 endpoint stays an element diff", () => {
  const many = [...Array(500).keys()].map((i) => dual(i, `f${i}`));
  const before = compileNft(base6([...many, dual(600, "web")]));
  const oneMore = renderDiff(before, compileNft(base6([...many, dual(600, "web"), dual(601, "web")])))!;
  assert.deepEqual(oneMore.trim().split("\n").map((l) => l.split(" ").slice(0, 5).join(" ")), [
    "add chain inet ponton svc_0000000000001259_tcp_80",
    "add chain inet ponton svc_0000000000001259_tcp_80_v6",
    "add rule inet ponton svc_0000000000001259_tcp_80",
    "add rule inet ponton svc_0000000000001259_tcp_80_v6",
    "add element inet ponton svc_ips",
    "add element inet ponton svc_ips6",
    "add element inet ponton svc_eps",
    "add element inet ponton svc_eps6",
  ]);
  const endpoint = renderDiff(before, compileNft(base6([...many, dual(600, "web")], 3)))!;
  assert.equal(endpoint.trim().split("\n").length, 6, endpoint);
  const ep = compileNft(base6([...many, dual(600, "web")], 3)).services!.at(-1)!.endpoints;
  assert.deepEqual(ep[1]!.endpoints, ["[fd00:30::2]:8080", "[fd00:30::3]:8080", "[fd00:30::4]:8080"]);
});

test("a service's fragment is reused while its selection's label list is unchanged, recompiled when it changes", () => {
  const s = base([svc(0, "web"), svc(1, "api")], 3);
  const first = compileNft(s).services!;
  // w2 moves from app=web to app=other: "api" is untouched, "web" loses an endpoint.
  const moved = { ...s, workloads: s.workloads.map((w) => (w.id === "w2" ? { ...w, labels: { app: "other" } } : w)) };
  const second = compileNft(moved).services!;
  assert.equal(second[1], first[1], "api: same fragment object, not recompiled");
  assert.notEqual(second[0], first[0]);
  assert.deepEqual(second[0]!.endpoints[0]!.endpoints, ["172.30.0.2:8080", "172.30.0.3:8080"]);
  // A changed address inside the list recompiles too.
  const readdressed = { ...moved, attachments: moved.attachments.map((a) => (a.workloadId === "w0" ? { ...a, ip4: "172.30.0.9" } : a)) };
  assert.deepEqual(compileNft(readdressed).services![0]!.endpoints[0]!.endpoints, ["172.30.0.9:8080", "172.30.0.3:8080"]);
});
