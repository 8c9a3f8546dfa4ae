// A policy change runs only the syncs that read policies (engine/sync/after-change.ts): what does
// read them must still follow each change — HAProxy's configuration (HTTP rules) and the resolver's
// rules.dns verdicts. A change of the HTTP paths or DNS names alone leaves the kernel's elements as
// they were: before nft-sync.ts handed such a plan on anyway, neither HAProxy nor the resolver saw it
// (both cases failed on main); with the resolver's sync skipped after a policy change, the second fails.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, OUTSIDE_A } from "../harness";

const SERVER = `require("http").createServer((q, s) => { q.resume(); q.on("end", () => s.end(q.method + " " + q.url + "\\n")); }).listen(80);`;

const httpPolicy = (paths: string[]) => `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: http, namespace: default}
spec:
  endpointSelector: {matchLabels: {app: server}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: client}}]
    toPorts: [{ports: [{port: "80", protocol: TCP}], rules: {http: [${paths.map((p) => `{method: GET, path: "${p}"}`).join(", ")}]}}]
`;

const dnsPolicy = (name: string) => `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: dns, namespace: default}
spec:
  endpointSelector: {matchLabels: {app: client}}
  egress:
  - toEntities: [host]
    toPorts: [{ports: [{port: "53", protocol: ANY}], rules: {dns: [{matchName: "${name}"}]}}]
`;

describe("after a policy change, what reads policies follows it", () => {
  let h: TestHost;
  let server = "";
  const apply = async (name: string, yaml: string) => {
    const file = path.join(h.dir, name);
    writeFileSync(file, yaml);
    await h.pontonOk("policy", "apply", "-f", file);
  };
  const get = async (p: string) => (await h.inWorkload("client", "curl", ["-s", "-m", "3", "-o", "/dev/null", "-w", "%{http_code}", `http://${server}${p}`], 10_000)).stdout;
  const dig = async (name: string) => /status: (\w+)/.exec((await h.inWorkload("client", "dig", ["+time=2", "+tries=1", name, "A"])).stdout)?.[1];

  before(async () => {
    h = await new TestHost("hpsync").setUp();
    h.spawnIn(h.outsideNs, process.execPath, [path.join(__dirname, "fqdn-upstream.js"), OUTSIDE_A, "53", JSON.stringify({ "a.example.test": ["198.51.100.30", 60], "b.example.test": ["198.51.100.31", 60] })]);
    await h.pontonOk("network", "create", "hps", "--subnet", "10.78.0.0/24");
    const w = JSON.parse(await h.pontonOk("run", "--name", "server", "--network", "hps", "--label", "app=server", "-o", "json", "--", process.execPath, "-e", SERVER)) as { networks: { ip4: string }[] };
    server = w.networks[0]!.ip4;
    await h.pontonOk("run", "--name", "client", "--network", "hps", "--label", "app=client");
    assert.ok(await eventually(async () => (await get("/a")) === "200", 15_000, 200), "the server answers before any policy");
    assert.ok(await eventually(async () => (await dig("b.example.test")) === "NOERROR", 10_000, 200), "the upstream answers before any policy");
  });
  after(() => h.tearDown());

  test("HTTP rules: each change of the allowed paths reaches HAProxy", async () => {
    await apply("http1.yaml", httpPolicy(["/a"]));
    assert.deepEqual([await get("/a"), await get("/b")], ["200", "403"]);
    await apply("http2.yaml", httpPolicy(["/a", "/b"]));
    assert.deepEqual([await get("/a"), await get("/b")], ["200", "200"]);
    await apply("http3.yaml", httpPolicy(["/b"]));
    assert.deepEqual([await get("/a"), await get("/b")], ["403", "200"]);
  });

  test("rules.dns: each change of the allowed name reaches the resolver", async () => {
    await apply("dns1.yaml", dnsPolicy("a.example.test"));
    assert.deepEqual([await dig("a.example.test"), await dig("b.example.test")], ["NOERROR", "REFUSED"]);
    await apply("dns2.yaml", dnsPolicy("b.example.test"));
    assert.deepEqual([await dig("a.example.test"), await dig("b.example.test")], ["REFUSED", "NOERROR"]);
    await h.pontonOk("policy", "rm", "cnp:dns");
    assert.deepEqual([await dig("a.example.test"), await dig("b.example.test")], ["NOERROR", "NOERROR"]);
  });
});
