import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

// The speaker's states that need no bgpd: a missing binary, no policy, several policies.
process.env.PONTON_BGPD = "/nonexistent/frr/bgpd";

test("a missing bgpd, no policy and a policy conflict are coded states, and nothing runs", async () => {
  const { BgpSpeaker } = await import("./speaker");
  const dir = mkdtempSync(path.join(os.tmpdir(), "ponton-speaker-"));
  const ran: string[] = [];
  const s = new BgpSpeaker(dir, { run: async (cmd) => (ran.push(cmd), { stdout: "[]", stderr: "" }) });
  try {
    await s.apply({ plan: { policy: "p", localASN: 65001, neighbors: [{ peerAddress: "198.51.100.2", peerASN: 65000, gracefulRestart: true }], prefixes: ["192.0.2.0/32"] } });
    assert.equal(s.state.code, "SPEAKER_MISSING");
    assert.match(s.state.message, /\/nonexistent\/frr\/bgpd.*apt-get install frr/);
    assert.deepEqual(await s.peers(), {});
    await s.apply({ conflict: ["a", "b"] });
    assert.equal(s.state.code, "POLICY_CONFLICT");
    assert.match(s.state.message, /a, b/);
    await s.apply({ none: "NO_POLICY" });
    assert.equal(s.state.code, "NO_POLICY");
    assert.deepEqual(ran, [], "nothing was run");
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
