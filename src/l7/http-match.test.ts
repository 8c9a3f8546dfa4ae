import { test } from "node:test";
import assert from "node:assert/strict";
import { decide, ipv4Number } from "./http-match";
import type { L7Listener } from "../policy";

const rule = (i: number) => ({ policy: "cnp:default/rule1", direction: "ingress" as const, ruleIndex: i });
const listener: L7Listener = {
  listen: 15100, ip: "10.0.0.2", port: 80, workload: "default/deathstar",
  sources: [
    { ranges: [[ipv4Number("10.0.0.3"), ipv4Number("10.0.0.3")]], http: [{ method: "POST", path: "/v1/request-landing" }, { method: "GET|HEAD", path: "/public/.*", host: "deathstar(\\.default)?", headers: ["X-Token: 42", "X-Trace"] }], rule: rule(0) },
    { ranges: [[ipv4Number("10.0.0.5"), ipv4Number("10.0.0.5")]], rule: rule(1) },
  ],
};
const req = (method: string, url: string, headers: Record<string, string> = {}, host = "deathstar") => ({ method, url, host, headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) });

test("method and path are regular expressions over the whole value (Cilium anchors them)", () => {
  assert.deepEqual(decide(listener, "10.0.0.3", req("POST", "/v1/request-landing")), { allowed: true, rule: rule(0) });
  assert.equal(decide(listener, "10.0.0.3", req("PUT", "/v1/exhaust-port")).allowed, false);
  assert.equal(decide(listener, "10.0.0.3", req("POST", "/v1/request-landing/x")).allowed, false);
  assert.equal(decide(listener, "10.0.0.3", req("POST", "/x/v1/request-landing")).allowed, false);
  assert.equal(decide(listener, "10.0.0.3", req("POSTX", "/v1/request-landing")).allowed, false);
  // The query is part of the path, as Envoy matches :path.
  assert.equal(decide(listener, "10.0.0.3", req("POST", "/v1/request-landing?x=1")).allowed, false);
});

test("host and headers: every field of a rule must match", () => {
  const ok = { "X-Token": "42", "X-Trace": "" };
  assert.equal(decide(listener, "10.0.0.3", req("GET", "/public/a", ok)).allowed, true);
  assert.equal(decide(listener, "10.0.0.3", req("HEAD", "/public/a", ok, "deathstar.default")).allowed, true);
  assert.equal(decide(listener, "10.0.0.3", req("GET", "/public/a", ok, "evil")).allowed, false);
  assert.equal(decide(listener, "10.0.0.3", req("GET", "/public/a", { "X-Token": "43", "X-Trace": "" })).allowed, false);
  assert.equal(decide(listener, "10.0.0.3", req("GET", "/public/a", { "X-Token": "42" })).allowed, false);
});

test("a source without HTTP rules admits every request; an address in no source admits none", () => {
  assert.deepEqual(decide(listener, "10.0.0.5", req("DELETE", "/anything")), { allowed: true, rule: rule(1) });
  assert.equal(decide(listener, "10.0.0.4", req("POST", "/v1/request-landing")).allowed, false);
  assert.equal(decide(listener, "::ffff:10.0.0.3", req("POST", "/v1/request-landing")).allowed, true);
  assert.ok(Number.isNaN(ipv4Number("fd00::3")));
  assert.equal(decide(listener, "fd00::3", req("POST", "/v1/request-landing")).allowed, false);
});
