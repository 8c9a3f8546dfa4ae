import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RecordingExecutor } from "../../kernel";
import type { NftPlan } from "../../compile";
import type { EngineContext } from "../context";
import type { EngineFlows } from "../flows/flows";
import { EngineL7 } from "./l7-proxy";

test("a change with no HTTP rule anywhere reads neither the host's addresses (a dump of every link: quadratic in the kernel at thousands of veths) nor every attachment", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ponton-l7-"));
  try {
    let reads = 0;
    const exec = new RecordingExecutor(() => ({ stdout: "[]", stderr: "" }));
    const ctx = {
      config: { stateDir: dir },
      exec,
      store: { state: () => (reads++, { networks: [], attachments: [] }) },
      kernel: { nft: async () => undefined },
    } as unknown as EngineContext;
    const l7 = new EngineL7(ctx, {} as EngineFlows);
    for (let i = 0; i < 3; i++) await l7.beforeCommit({ policy: { l7: [] } } as unknown as NftPlan);
    assert.deepEqual(l7.lastErrors, []);
    const dumps = exec.calls.filter((c) => c.cmd === "ip" && c.args.includes("addr") && c.args.includes("show"));
    assert.equal(dumps.length, 0, JSON.stringify(exec.calls));
    assert.equal(reads, 0, "no pass over the host's attachments either");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
