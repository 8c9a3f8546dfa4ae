// A cluster node talks to etcd over TLS with a client certificate, as production etcd runs
// (--client-cert-auth); without the right certificate or CA it does not start and makes nothing.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, copyFileSync } from "node:fs";
import path from "node:path";
import { TestHost } from "../harness";
import { TestCa } from "./test-ca";
import { Underlay, UNDERLAY_PREFIX } from "../underlay";
import type { NodeRow } from "../../../src/cli/commands/node";

describe("cluster over TLS to etcd", () => {
  const ul = new Underlay("tls");
  const node = new TestHost("ctls");
  const nodeIp = `${UNDERLAY_PREFIX}.11`;
  let ca: TestCa;
  let client: { cert: string; key: string };
  const args = (files: string[]) => ["--cluster", `https://${UNDERLAY_PREFIX}.2:2379`, "--node-name", "n1", "--node-ip", nodeIp, ...files];

  before(async () => {
    await ul.setUp();
    ca = await TestCa.create(ul.dir);
    const server = await ca.issue("etcd0", `${UNDERLAY_PREFIX}.2`);
    client = await ca.issue("n1");
    await ul.startEtcd(1, 30_000, { tls: { ca: ca.cert, serverCert: server.cert, serverKey: server.key, clientCert: client.cert, clientKey: client.key } });
    node.daemonArgs = args(["--etcd-cacert", ca.cert, "--etcd-cert", client.cert, "--etcd-key", client.key]);
    await node.setUp({ beforeDaemon: () => ul.plug(node.hostNs, "ul0", nodeIp).then(() => undefined) });
  });
  after(async () => {
    await node.tearDown();
    await ul.tearDown();
  });

  test("with the CA and a client certificate the node joins, and its records are in etcd", async () => {
    const ls = JSON.parse(await node.pontonOk("node", "ls", "-o", "json")) as NodeRow[];
    assert.deepEqual(ls.map((n) => [n.name, n.address, n.status]), [["n1", nodeIp, "Ready"]]);
    const keys = (await ul.etcdctl("get", "--prefix", "/ponton/nodes/n1/", "--keys-only")).stdout;
    assert.match(keys, /\/ponton\/nodes\/n1\/alive/);
    await node.pontonOk("network", "create", "pods", "--scope", "cluster", "--subnet", "10.42.0.0/16", "--node-mask", "24");
  });

  test("without a client certificate, or trusting another CA, pontond does not start", async () => {
    await node.stopDaemon();
    try {
      node.daemonArgs = args(["--etcd-cacert", ca.cert]);
      await assert.rejects(node.startDaemon(), /STORE_UNAVAILABLE/);
      const other = await TestCa.create(ul.dir, "other-ca");
      node.daemonArgs = args(["--etcd-cacert", other.cert, "--etcd-cert", client.cert, "--etcd-key", client.key]);
      await assert.rejects(node.startDaemon(), /STORE_UNAVAILABLE/);
    } finally {
      node.daemonArgs = args(["--etcd-cacert", ca.cert, "--etcd-cert", client.cert, "--etcd-key", client.key]);
      await node.startDaemon();
    }
  });

  test("a private key others can read is refused before anything starts, with the fix", async () => {
    const exposed = path.join(ul.dir, "exposed-key.pem");
    copyFileSync(client.key, exposed);
    chmodSync(exposed, 0o644);
    const other = new TestHost("ctlsk");
    other.daemonArgs = args(["--etcd-cacert", ca.cert, "--etcd-cert", client.cert, "--etcd-key", exposed]);
    try {
      await assert.rejects(other.setUp(), /INVALID_ARGUMENT: --etcd-key .* is readable by others[\s\S]*chmod 600/);
    } finally {
      await other.tearDown();
    }
  });
});
