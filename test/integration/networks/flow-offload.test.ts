// pontond --flow-offload on this machine's kernel, which has no flowtables (CONFIG_NF_FLOW_TABLE
// unset): auto (the default) turns it off and says why in `ponton info`; on refuses to start, naming
// the kernel feature; the table holds no flowtable and traffic flows as before. The plan itself (the
// flowtable, its devices, the flow add rule) is tested in src/compile/flow-offload.test.ts.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { TestHost, ping, sh } from "../harness";

const BIN = path.resolve(__dirname, "..", "..", "..", "..", "bin");

interface Info {
  flowOffload?: { mode: string; active: boolean; reason?: string };
}

describe("flowtable offload where the kernel has no flowtables", () => {
  let h: TestHost;
  before(async () => {
    h = await new TestHost("fo").setUp();
    await h.pontonOk("network", "create", "fo", "--driver", "routed", "--subnet", "10.83.0.0/24");
    await h.pontonOk("run", "--name", "a", "--network", "fo");
    await h.pontonOk("run", "--name", "b", "--network", "fo");
  });
  after(() => h?.tearDown());

  test("auto (the default): off, and `ponton info` names CONFIG_NF_FLOW_TABLE; no flowtable in the kernel; traffic flows", async () => {
    const info = JSON.parse(await h.pontonOk("info")) as Info;
    assert.equal(info.flowOffload?.mode, "auto");
    assert.equal(info.flowOffload?.active, false);
    assert.match(info.flowOffload?.reason ?? "", /CONFIG_NF_FLOW_TABLE.*declaring a flowtable fails \(.*No such file or directory\)/);
    assert.doesNotMatch((await h.inHost("nft", ["list", "flowtables"])).stdout, /flowtable/);
    assert.doesNotMatch((await h.inHost("nft", ["list", "table", "inet", "ponton"])).stdout, /flow add|flowtable/);
    assert.doesNotMatch((await h.inHost("nft", ["list", "tables"])).stdout, /probe/, "the probe left no table");
    const b = JSON.parse(await h.pontonOk("inspect", "b")) as { networks: { ip4: string }[] }[];
    assert.ok(await ping(h, "a", b[0]!.networks[0]!.ip4), "a reaches b");
  });

  test("off: says it was turned off", async () => {
    await h.stopDaemon();
    h.daemonArgs = ["--flow-offload", "off"];
    await h.startDaemon();
    const info = JSON.parse(await h.pontonOk("info")) as Info;
    assert.deepEqual(info.flowOffload, { mode: "off", active: false, reason: "turned off (pontond --flow-offload off)" });
  });

  test("on: pontond refuses to start, naming the kernel feature; a bad value is refused too", async () => {
    await h.stopDaemon();
    const run = (value: string, tag: string) =>
      sh("nsenter", [`--net=/run/netns/${h.hostNs}`, process.execPath, path.join(BIN, "pontond"), "--state-dir", path.join(h.dir, `state-${tag}`), "--socket", path.join(h.dir, `${tag}.sock`), "--prefix", `${h.prefix}${tag}`, "--flow-offload", value], { timeoutMs: 30_000 });
    const on = await run("on", "on");
    assert.equal(on.code, 2, on.stderr);
    assert.match(on.stderr, /UNSUPPORTED: pontond --flow-offload on: this kernel has no nftables flowtables \(CONFIG_NF_FLOW_TABLE/);
    assert.match(on.stderr, /--flow-offload auto/);
    assert.equal(existsSync(path.join(h.dir, "on.sock")), false, "it never served");
    const bad = await run("maybe", "bad");
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /INVALID_ARGUMENT: --flow-offload is auto, on or off, not 'maybe'/);
    h.daemonArgs = [];
    await h.startDaemon();
  });
});
