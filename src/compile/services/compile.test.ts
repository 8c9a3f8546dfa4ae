import { test } from "node:test";
import assert from "node:assert/strict";
import { compileNft } from "../nft-compile";
import { renderDiff, renderFull } from "../nft-render";
import type { Service } from "../../model/service";
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

test("a service compiles to one chain with one rr DNAT rule and a verdict-map element", () => {
  const full = renderFull(compileNft(base([svc(0, "web")])));
  assert.match(full, /10\.96\.1\.1 \. tcp \. 80 : goto svc_0000000000001000_tcp_80/);
  assert.match(full, /meta l4proto tcp dnat ip to numgen inc mod 2 map \{ 0 : 172\.30\.0\.2 \. 8080, 1 : 172\.30\.0\.3 \. 8080 \}/);
});

test("no endpoint: the service is in svc_noep and its chain is empty", () => {
  const full = renderFull(compileNft(base([svc(0, "nobody")])));
  assert.match(full, /set svc_noep \{[^}]*10\.96\.1\.1 \. tcp \. 80/);
});

test("adding one service or one endpoint among many is a few lines, whatever the total", () => {
  const many = [...Array(2000).keys()].map((i) => svc(i, `f${i}`));
  const before = compileNft(base([...many, svc(5000, "web")]));
  const oneMore = renderDiff(before, compileNft(base([...many, svc(5000, "web"), svc(5001, "web")])))!;
  assert.equal(oneMore.trim().split("\n").length, 3, oneMore);
  const endpoint = renderDiff(before, compileNft(base([...many, svc(5000, "web")], 3)))!;
  assert.deepEqual(endpoint.trim().split("\n").map((l) => l.split(" ").slice(0, 2).join(" ")), ["flush chain", "add rule"]);
});

test("sh and maglev carry a fixed jhash seed (a rewrite must not re-pin clients)", () => {
  for (const s of ["sh", "maglev"] as const) assert.match(renderFull(compileNft(base([svc(0, "web", s)]))), /jhash ip saddr.* seed 0x00000000/);
});

test("a selector matches workloads of the service's namespace only", () => {
  const s = base([{ ...svc(0, "web"), namespace: "x" }], 3);
  s.workloads[1] = { ...s.workloads[1]!, namespace: "x" };
  const full = renderFull(compileNft(s));
  assert.match(full, /meta l4proto tcp dnat ip to 172\.30\.0\.3:8080/);
  const dflt = renderFull(compileNft({ ...s, services: [svc(0, "web")] }));
  assert.match(dflt, /numgen inc mod 2 map \{ 0 : 172\.30\.0\.2 \. 8080, 1 : 172\.30\.0\.4 \. 8080 \}/);
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
  s.workloads[0] = { ...s.workloads[0]!, exposes: [{ name: "web", port: 8080, protocol: "TCP" }] };
  s.workloads[1] = { ...s.workloads[1]!, exposes: [{ name: "web", port: 9090, protocol: "TCP" }] };
  const plan = compileNft(s);
  assert.match(renderFull(plan), /numgen inc mod 2 map \{ 0 : 172\.30\.0\.2 \. 8080, 1 : 172\.30\.0\.3 \. 9090 \}/);
  assert.deepEqual(plan.services![0]!.endpoints[0]!.endpoints, ["172.30.0.2:8080", "172.30.0.3:9090"]);
});
