// Bad input through a real pontond: every field of every body-taking route, sent with each JSON type
// it does not take, plus malformed encodings, deep nesting, a YAML alias bomb, a huge body and
// special subnets. Each must be a 4xx with a code (never 500), and nothing may be applied.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { TestHost } from "../harness";
import { NETWORK_FIELDS, RUN_FIELDS, SERVICE_FIELDS } from "../../../src/model/request-shapes";
import type { Kind } from "../../../src/model/shape";

interface Reply {
  status: number;
  code?: string;
  text: string;
}

function send(socket: string, method: string, path: string, body?: string): Promise<Reply> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: socket, method, path, headers: { "content-type": "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        let code: string | undefined;
        try {
          code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
        } catch {
          // not JSON: code stays undefined and the assertion says so
        }
        resolve({ status: res.statusCode ?? 0, code, text: text.slice(0, 300) });
      });
    });
    req.on("error", (e) => resolve({ status: -1, text: e.message }));
    req.end(body);
  });
}

/** JSON values of every type; a field gets each one its kind does not accept. */
const VALUES: [string, unknown][] = [["a string", "x"], ["a number", 42], ["a fraction", 1.5], ["a boolean", true], ["a list", [1]], ["an object", { a: { b: 1 } }]];
const ACCEPTS: Record<Kind, (v: unknown) => boolean> = {
  string: (v) => typeof v === "string",
  boolean: (v) => typeof v === "boolean",
  number: (v) => typeof v === "number",
  integer: (v) => Number.isInteger(v),
  "string[]": () => false,
  list: (v) => Array.isArray(v),
  object: (v) => typeof v === "object" && !Array.isArray(v),
  map: () => false,
};

interface Case {
  what: string;
  method: string;
  path: string;
  body?: string;
  status?: number;
}

function wrongTypes(method: string, path: string, fields: Record<string, Kind | Kind[]>, base: Record<string, unknown>): Case[] {
  const out: Case[] = [];
  for (const [field, kinds] of Object.entries(fields)) {
    const list = Array.isArray(kinds) ? kinds : [kinds];
    for (const [name, value] of VALUES) {
      if (list.some((k) => ACCEPTS[k](value))) continue;
      out.push({ what: `${method} ${path} ${field} = ${name}`, method, path, body: JSON.stringify({ ...base, [field]: value }) });
    }
  }
  return out;
}

const BILLION_LAUGHS = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]", ..."bcdefgh".split("").map((c, i) => `${c}: &${c} [${Array(9).fill(`*${"abcdefg"[i]}`).join(", ")}]`)].join("\n");
const deep = (n: number) => "[".repeat(n) + "]".repeat(n);

const CASES: Case[] = [
  ...wrongTypes("POST", "/v1/networks", NETWORK_FIELDS, { name: "bad0" }),
  ...wrongTypes("POST", "/v1/workloads", RUN_FIELDS, { name: "bad1", networks: ["net0"] }),
  ...wrongTypes("POST", "/v1/templates", RUN_FIELDS, { name: "bad2", networks: ["net0"], replicas: 1 }),
  ...wrongTypes("POST", "/v1/services", SERVICE_FIELDS, { name: "bad3", ports: ["80"], selector: { app: "x" } }),
  ...wrongTypes("PATCH", "/v1/services/s0", SERVICE_FIELDS, {}),
  ...wrongTypes("POST", "/v1/networks/net0/connect", { workload: "string", ip: "string", ip6: "string", aliases: "string[]" }, { workload: "w0" }),
  ...wrongTypes("POST", "/v1/firewall/rules", { rule: "string", position: "integer" }, { rule: "tcp dport 9 accept" }),
  ...wrongTypes("POST", "/v1/namespaces", { name: "string", labels: "map" }, { name: "bad4" }),
  ...wrongTypes("POST", "/v1/namespaces/default/labels", { set: "map", remove: "string[]" }, {}),
  ...wrongTypes("POST", "/v1/workloads/w0/labels", { set: "map", remove: "string[]" }, {}),
  ...wrongTypes("POST", "/v1/networks/net0/disconnect", { workload: "string" }, {}),
  ...wrongTypes("POST", "/v1/scale", { replicas: "object" }, {}),
  ...wrongTypes("POST", "/v1/services/batch", { services: "list" }, {}),
  ...wrongTypes("POST", "/v1/services/apply", { yaml: "string" }, {}),
  ...wrongTypes("POST", "/v1/policies", { yaml: "string" }, {}),
  ...wrongTypes("POST", "/v1/up", { yaml: "string", project: "string" }, { yaml: "networks: {}\n", project: "p" }),
  ...wrongTypes("POST", "/v1/down", { yaml: "string", project: "string" }, { yaml: "networks: {}\n", project: "p" }),
  { what: "network entry without a string name", method: "POST", path: "/v1/workloads", body: JSON.stringify({ name: "bad5", networks: [{ network: 7 }] }) },
  { what: "route object with a number", method: "POST", path: "/v1/workloads", body: JSON.stringify({ name: "bad6", networks: ["net0"], routes: [{ dst: "default", via: 7 }] }) },
  { what: "internal: \"false\" (a string, not a boolean)", method: "POST", path: "/v1/networks", body: JSON.stringify({ name: "bad7", internal: "false" }) },
  { what: "10,000 labels on a workload", method: "POST", path: "/v1/workloads/w0/labels", body: JSON.stringify({ set: Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, "v"])) }) },
  { what: "a label key with a 254-character prefix", method: "POST", path: "/v1/namespaces", body: JSON.stringify({ name: "bad9", labels: { [`${"a".repeat(254)}/k`]: "v" } }) },
  // Encodings and queries.
  { what: "malformed %-escape in a path", method: "GET", path: "/v1/workloads/%E0%A4%A" },
  { what: "lone % in a path", method: "DELETE", path: "/v1/services/%" },
  { what: "malformed %-escape in a policy path", method: "DELETE", path: "/v1/policies/%zz/x" },
  { what: "malformed %-escape in a query", method: "GET", path: "/v1/dns/query?name=%&type=A&from=w0" },
  { what: "non-numeric flow limit", method: "GET", path: "/v1/flows?limit=abc" },
  { what: "negative flow limit", method: "GET", path: "/v1/flows?limit=-1" },
  { what: "non-numeric grace time", method: "DELETE", path: "/v1/workloads/w0?time=soon" },
  { what: "non-numeric rule id", method: "DELETE", path: "/v1/firewall/rules/abc" },
  // Bodies.
  { what: "100,000 nested arrays as a field", method: "POST", path: "/v1/networks", body: `{"name":${deep(100_000)}}` },
  { what: "65 nested lists in a label value", method: "POST", path: "/v1/namespaces", body: `{"name":"bad8","labels":{"a":${deep(65)}}}` },
  { what: "not an object", method: "POST", path: "/v1/networks", body: "[]" },
  { what: "truncated JSON", method: "POST", path: "/v1/networks", body: '{"name":' },
  { what: "5 MiB body", method: "POST", path: "/v1/networks", body: JSON.stringify({ name: "x".repeat(5 * 1024 * 1024) }), status: 413 },
  { what: "YAML billion laughs (policies)", method: "POST", path: "/v1/policies", body: JSON.stringify({ yaml: BILLION_LAUGHS }) },
  { what: "YAML billion laughs (service apply)", method: "POST", path: "/v1/services/apply", body: JSON.stringify({ yaml: BILLION_LAUGHS }) },
  { what: "YAML billion laughs (up)", method: "POST", path: "/v1/up", body: JSON.stringify({ yaml: BILLION_LAUGHS, project: "p" }) },
  { what: "YAML nested 200 deep (policies)", method: "POST", path: "/v1/policies", body: JSON.stringify({ yaml: `a: ${deep(200)}` }) },
  // Subnets, gateways and static addresses.
  ...["0.0.0.0/24", "127.0.0.0/24", "169.254.0.0/24", "224.0.0.0/24", "255.255.255.0/24", "10.9.0.0/31", "10.9.0.1/32", "::/64", "fe80::/64", "ff00::/64", "fd00:9::/127", "fd00:9::1/128"].map(
    (subnet, i): Case => ({ what: `subnet ${subnet}`, method: "POST", path: "/v1/networks", body: JSON.stringify({ name: `sub${i}`, subnet }) }),
  ),
  { what: "gateway is the network address", method: "POST", path: "/v1/networks", body: JSON.stringify({ name: "gw0", subnet: "10.9.1.0/24", gateway: "10.9.1.0" }) },
  { what: "gateway is the broadcast address", method: "POST", path: "/v1/networks", body: JSON.stringify({ name: "gw1", subnet: "10.9.1.0/24", gateway: "10.9.1.255" }) },
  { what: "--ip ::1 on an IPv4-only network", method: "POST", path: "/v1/workloads", body: JSON.stringify({ name: "ip0", networks: [{ network: "net0", ip: "::1" }] }) },
  { what: "--ip of a family the network lacks", method: "POST", path: "/v1/workloads", body: JSON.stringify({ name: "ip1", networks: [{ network: "net0", ip: "fd00:77::5" }] }) },
  { what: "--ip outside the subnet", method: "POST", path: "/v1/workloads", body: JSON.stringify({ name: "ip2", networks: [{ network: "net0", ip: "10.9.200.5" }] }) },
];

describe("bad input: a 4xx with a code, nothing applied", () => {
  let h: TestHost;
  let before_: string;
  const snapshot = async () =>
    JSON.stringify(
      await Promise.all(["/v1/networks", "/v1/workloads", "/v1/templates", "/v1/services", "/v1/namespaces", "/v1/firewall/rules", "/v1/policies"].map((p) => h.client.request<unknown[]>("GET", p))),
      (k, v: unknown) => (k === "state" || k === "pid" || k === "pidStart" ? undefined : v),
    );

  before(async () => {
    h = await new TestHost("bi").setUp();
    await h.pontonOk("network", "create", "net0", "--subnet", "10.9.0.0/24");
    await h.pontonOk("run", "--name", "w0", "--network", "net0");
    await h.pontonOk("service", "create", "s0", "--port", "80", "--selector", "app=x");
    before_ = await snapshot();
  });
  after(() => h.tearDown());

  test(`${CASES.length} malformed requests`, async () => {
    const wrong: string[] = [];
    for (const c of CASES) {
      const r = await send(h.socket, c.method, c.path, c.body);
      const ok = c.status !== undefined ? r.status === c.status : r.status >= 400 && r.status < 500;
      if (!ok || !r.code || r.code === "INTERNAL") wrong.push(`${c.what}: ${r.status} ${r.text}`);
    }
    assert.deepEqual(wrong, []);
  });

  test("nothing was applied, and the daemon still answers", async () => {
    assert.equal(await snapshot(), before_);
  });
});
