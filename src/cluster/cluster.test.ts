import { test } from "node:test";
import assert from "node:assert/strict";
import { parseClusterOptions } from "./options";
import { nodeViews } from "./node-view";
import { blockKey, parseBlockKey, parseNodeKey } from "./keys";

test("cluster options: absent --cluster means single host, and node flags alone are refused", () => {
  assert.equal(parseClusterOptions(undefined, undefined, undefined, undefined), undefined);
  assert.throws(() => parseClusterOptions(undefined, "n1", undefined, undefined), /--node-name need --cluster/);
});

test("cluster options: endpoints, name, address and TTL are validated", () => {
  assert.deepEqual(parseClusterOptions("http://192.0.2.2:2379,http://192.0.2.3:2379", "n1", "192.0.2.11", "3"), { endpoints: ["http://192.0.2.2:2379", "http://192.0.2.3:2379"], nodeName: "n1", nodeIp: "192.0.2.11", leaseTtlS: 3 });
  assert.equal(parseClusterOptions("http://e:2379", "n1", undefined, undefined)!.leaseTtlS, 5);
  assert.throws(() => parseClusterOptions("192.0.2.2:2379", "n1", undefined, undefined), /INVALID_ARGUMENT|not a URL|must be/);
  assert.deepEqual(parseClusterOptions("https://e:2379", "n1", undefined, undefined)!.tls, {}, "https with the system's roots");
  assert.throws(() => parseClusterOptions("http://e", "n1", undefined, undefined), /HOST:PORT/);
  assert.throws(() => parseClusterOptions("http://e:2379", "bad/name", undefined, undefined), /name/);
  assert.throws(() => parseClusterOptions("http://e:2379", "n1", "fd00::1", undefined), /IPv4/);
  assert.throws(() => parseClusterOptions("http://e:2379", "n1", undefined, "1"), /2 to 3600/);
  assert.throws(() => parseClusterOptions("http://e:2379", "n1", undefined, "2.5"), /2 to 3600/);
});

test("cluster options: TLS files go with https:// endpoints only, a certificate with its key", () => {
  const files = { ca: "/etc/ponton/etcd-ca.pem", cert: "/etc/ponton/node.pem", key: "/etc/ponton/node-key.pem" };
  assert.deepEqual(parseClusterOptions("https://192.0.2.2:2379,https://192.0.2.3:2379", "n1", undefined, undefined, files)!.tls, files);
  assert.deepEqual(parseClusterOptions("https://e:2379", "n1", undefined, undefined, { ca: files.ca, cert: undefined, key: undefined })!.tls, { ca: files.ca });
  assert.throws(() => parseClusterOptions("http://e:2379", "n1", undefined, undefined, { ca: files.ca }), /--etcd-cacert needs https/);
  assert.throws(() => parseClusterOptions("https://e:2379,http://f:2379", "n1", undefined, undefined), /not a mix/);
  assert.throws(() => parseClusterOptions("https://e:2379", "n1", undefined, undefined, { cert: files.cert }), /go together/);
  assert.throws(() => parseClusterOptions(undefined, undefined, undefined, undefined, { key: files.key }), /--etcd-key need --cluster/);
});

test("keys: node and block keys round-trip", () => {
  assert.deepEqual(parseNodeKey("/ponton/nodes/n1/alive"), { node: "n1", kind: "alive" });
  assert.deepEqual(parseNodeKey("/ponton/nodes/n1/info"), { node: "n1", kind: "info" });
  assert.equal(parseNodeKey("/ponton/nodes/n1/other"), undefined);
  assert.deepEqual(parseBlockKey(blockKey("pods", "10.42.3.0/24")), { network: "pods", block: "10.42.3.0/24" });
});

test("node views: Ready exactly when the alive key exists; blocks by holder; sorted by name", () => {
  const info = (name: string) => ({ name, address: `192.0.2.${name.length}`, heartbeat: "2026-01-01T00:00:00.000Z", workloads: 1 });
  const v = nodeViews([info("n2"), info("n1")], new Set(["n1"]), [
    { network: "pods", block: "10.42.1.0/24", node: "n2" },
    { network: "pods", block: "10.42.0.0/24", node: "n1" },
  ]);
  assert.deepEqual(v.map((n) => [n.name, n.status, n.blocks]), [
    ["n1", "Ready", ["pods=10.42.0.0/24"]],
    ["n2", "NotReady", ["pods=10.42.1.0/24"]],
  ]);
});
