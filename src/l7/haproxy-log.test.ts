import { test } from "node:test";
import assert from "node:assert/strict";
import { parseHaproxyLog } from "./haproxy-log";

test("a request line: fields, #XX decoded, the Host capture unwrapped, the verdict from the admitting source", () => {
  assert.deepEqual(parseHaproxyLog(`4242 7 1796639074586 10.0.0.3 55290 l7_10.0.0.2:80 GET "/a#22b?x=1" "{deathstar:80}" 200 12 0 ----`), {
    pid: 4242, counter: 7, section: "l7_10.0.0.2:80", source: 0, termination: "----",
    event: { t: 1796639074586, src: "10.0.0.3", sport: 55290, method: "GET", url: `/a"b?x=1`, host: "deathstar:80", status: 200, latencyMs: 12, verdict: "FORWARDED" },
  });
  const denied = parseHaproxyLog(`4242 8 1796639074586 10.0.0.3 55290 l7_10.0.0.2:80 PUT "/v1/exhaust-port" "" 403 0 - PR--`);
  assert.equal(denied?.event.verdict, "DROPPED");
  assert.equal(denied?.event.host, undefined);
  assert.equal(parseHaproxyLog(`4242 9 1796639074586 10.0.0.3 55290 l7_10.0.0.2:80 GET "/" "{}" 503 3 0 SC--`)?.event.verdict, "ERROR");
  // A backend's own 500 is an answer, not an error of the proxy.
  assert.equal(parseHaproxyLog(`4242 9 1796639074586 10.0.0.3 55290 l7_10.0.0.2:80 GET "/" "{}" 500 3 0 ----`)?.event.verdict, "FORWARDED");
});

test("the original destination at the line's end (egress: where the client connected)", () => {
  const r = parseHaproxyLog(`4242 7 1796639074586 10.0.0.3 55290 l7e_10.0.0.3:80 GET "/" "{}" 200 1 0 ---- 10.0.0.2 80`);
  assert.deepEqual([r?.section, r?.to], ["l7e_10.0.0.3:80", { ip: "10.0.0.2", port: 80 }]);
  assert.deepEqual(parseHaproxyLog(`4242 7 1796639074586 fd00::3 55290 l7_fd00::2:80 GET "/" "{}" 200 1 0 ---- fd00::2 80`)?.to, { ip: "fd00::2", port: 80 });
});

test("not requests: a malformed one, a connection closed before a request, anything else", () => {
  assert.equal(parseHaproxyLog(`4242 9 1796639074586 10.0.0.3 55290 l7_10.0.0.2:80 <BADREQ> "<BADREQ>" "" 400 0 - PR--`), undefined);
  assert.equal(parseHaproxyLog(`4242 9 1796639074586 10.0.0.3 55290 l7_10.0.0.2:80 - "-" "" -1 -1 - CR--`), undefined);
  assert.equal(parseHaproxyLog("[NOTICE] something"), undefined);
});
