import { test } from "node:test";
import assert from "node:assert/strict";
import { dockerNetworkOptions } from "./docker-network-options";

const B = "com.docker.network.bridge.";

test("each Docker option maps to Ponton's own setting", () => {
  assert.deepEqual(
    dockerNetworkOptions({ "com.docker.network.driver.mtu": "1400", [`${B}enable_ip_masquerade`]: "false", [`${B}enable_icc`]: "0", [`${B}gateway_mode_ipv4`]: "routed", [`${B}gateway_mode_ipv6`]: "routed" }, undefined),
    { mtu: 1400, masquerade: false, icc: false, gatewayMode: "routed" },
  );
  assert.deepEqual(dockerNetworkOptions({ parent: "eth1", macvlan_mode: "private" }, "macvlan"), { parent: "eth1", mode: "private" });
  assert.deepEqual(dockerNetworkOptions({ parent: "eth1.10", ipvlan_mode: "l3" }, "ipvlan"), { parent: "eth1.10", mode: "l3" });
  assert.deepEqual(dockerNetworkOptions({ [`${B}enable_icc`]: "true" }, "bridge"), { icc: true });
});

test("an unknown key is refused naming it; a known one Ponton has no setting for says why", () => {
  assert.throws(() => dockerNetworkOptions({ "com.example.nope": "1" }, undefined), (e: Error & { code?: string }) => e.code === "UNSUPPORTED" && /com\.example\.nope/.test(e.message));
  assert.throws(() => dockerNetworkOptions({ [`${B}name`]: "br0" }, undefined), (e: Error & { code?: string }) => e.code === "UNSUPPORTED" && /bridge\.name.*pbr-/.test(e.message));
  assert.throws(() => dockerNetworkOptions({ [`${B}host_binding_ipv4`]: "127.0.0.1" }, undefined), /-p IP:HOSTPORT:PORT/);
});

test("bad values, a mode for the wrong driver, and contradictions are refused", () => {
  assert.throws(() => dockerNetworkOptions({ "com.docker.network.driver.mtu": "big" }, undefined), /not a number/);
  assert.throws(() => dockerNetworkOptions({ [`${B}enable_icc`]: "yes" }, undefined), /not true or false/);
  assert.throws(() => dockerNetworkOptions({ [`${B}gateway_mode_ipv4`]: "isolated" }, undefined), /isolated.*nat and routed/);
  assert.throws(() => dockerNetworkOptions({ macvlan_mode: "bridge" }, "bridge"), /macvlan driver only/);
  assert.throws(() => dockerNetworkOptions({ [`${B}gateway_mode_ipv4`]: "nat", [`${B}gateway_mode_ipv6`]: "routed" }, undefined), /contradicts another option/);
  assert.throws(() => dockerNetworkOptions({ "com.docker.network.driver.mtu": "1400" }, undefined, { mtu: 1300 }), /contradicts mtu 1300/);
  // Repeating a flag's value is fine.
  assert.deepEqual(dockerNetworkOptions({ "com.docker.network.driver.mtu": "1300" }, undefined, { mtu: 1300 }), { mtu: 1300 });
});
