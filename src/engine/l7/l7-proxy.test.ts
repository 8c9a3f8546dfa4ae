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

test("with an HTTP rule, the host's addresses are read again only when the listeners or the networks change, not for each workload made", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ponton-l7-"));
  const exec = new RecordingExecutor(() => ({ stdout: "[]", stderr: "" }));
  let networks = [{ id: "n1", driver: "bridge", gateway4: "10.1.0.1" }];
  const ctx = {
    config: { stateDir: dir },
    exec,
    store: { state: () => ({ networks, attachments: [] }), networks: () => networks },
    kernel: { nft: async () => undefined, sysctl: async () => undefined },
  } as unknown as EngineContext;
  const l7 = new EngineL7(ctx, {} as EngineFlows);
  l7.haproxy.apply = async () => "reloaded";
  const listener = (port: number) => ({ listen: 20000 + port, ip: "10.1.0.5", direction: "ingress", port, workload: "default/web", sources: [] });
  const commit = (l7s: unknown[]) => l7.beforeCommit({ policy: { l7: l7s } } as unknown as NftPlan);
  const reads = () => exec.calls.filter((c) => c.cmd === "ip" && c.args.join(" ") === "-j addr show").length;
  try {
    // Workloads made: the same listeners, the same networks.
    for (let i = 0; i < 3; i++) await commit([listener(80)]);
    assert.deepEqual(l7.lastErrors, []);
    assert.equal(reads(), 1);
    networks = [...networks, { id: "n2", driver: "routed", gateway4: "10.2.0.1" }];
    await commit([listener(80)]);
    assert.equal(reads(), 2, "a network's gateway is a host address");
    await commit([listener(80), listener(8080)]);
    assert.equal(reads(), 3, "a policy change reads them again");
    await commit([]);
    await commit([listener(80), listener(8080)]);
    assert.equal(reads(), 4, "read again once a listener comes back");
  } finally {
    l7.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
