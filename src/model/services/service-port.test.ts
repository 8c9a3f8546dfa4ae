import { test } from "node:test";
import assert from "node:assert/strict";
import { parseServicePort } from "./service-spec";

test("service ports: plain, target, protocol, named", () => {
  assert.deepEqual(parseServicePort("80"), { port: 80, targetPort: 80, protocol: "tcp" });
  assert.deepEqual(parseServicePort("53:5353/udp"), { port: 53, targetPort: 5353, protocol: "udp" });
  assert.deepEqual(parseServicePort("http=80:8080/tcp"), { name: "http", port: 80, targetPort: 8080, protocol: "tcp" });
  assert.deepEqual(parseServicePort({ name: "dns", port: 53, protocol: "udp" }), { name: "dns", port: 53, targetPort: 53, protocol: "udp" });
});

test("bad port names are refused", () => {
  for (const bad of ["HTTP=80", "-x=80", "a-very-long-port-name=80", "a_b=80"]) {
    assert.throws(() => parseServicePort(bad), { code: "INVALID_PORT" }, bad);
  }
});
