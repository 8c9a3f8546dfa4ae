import { test } from "node:test";
import assert from "node:assert/strict";
import { RecordingExecutor } from "./executor";
import { Kernel } from "./kernel";

test("a batch inside a named namespace enters only its network namespace (no copy of the machine's mounts per call, as `ip -n` makes)", async () => {
  const exec = new RecordingExecutor();
  const k = new Kernel(exec);
  await k.ipBatch(["link set lo up"], "p-w1");
  await k.ipBatch(["link set lo up"], "/proc/42/ns/net");
  await k.ipBatch(["link set lo up"]);
  k.close();
  assert.deepEqual(
    exec.calls.map((c) => [c.cmd, ...c.args]),
    [
      ["nsenter", "--net=/run/netns/p-w1", "ip", "-batch", "-"],
      ["nsenter", "--net=/proc/42/ns/net", "ip", "-batch", "-"],
      ["ip", "-batch", "-"],
    ],
  );
  assert.ok(exec.calls.every((c) => c.input === "link set lo up\n"));
});
