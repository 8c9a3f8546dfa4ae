import { test } from "node:test";
import assert from "node:assert/strict";
import { RecordingExecutor } from "./executor";
import { Kernel, NEIGH_HELPER } from "./kernel";

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

test("the host's neighbour writes go to ponton-neigh in their place in the batch (ip neigh dumps every host link: O(workloads²) in the kernel)", async () => {
  const exec = new RecordingExecutor();
  const k = new Kernel(exec);
  const lines = [
    "link add pr-1 type veth peer name eth0 netns p-w1",
    "route replace 10.0.0.2/32 dev pr-1",
    "neigh replace 10.0.0.2 lladdr 02:42:0a:00:00:02 dev pr-1 nud permanent",
    "neigh replace proxy fd00::1 dev pr-1",
    "route replace fd00::2/128 dev pr-1",
    "neigh flush to 10.0.0.3 dev br0 nud permanent",
    "neigh del 10.0.0.4 dev br0",
  ];
  await k.ipBatch(lines);
  await k.ipBatch(["neigh replace 10.0.0.1 lladdr 02:00:00:00:00:01 dev eth0 nud permanent"], "p-w1");
  k.close();
  assert.deepEqual(
    exec.calls.map((c) => [c.cmd === NEIGH_HELPER ? "ponton-neigh" : c.cmd, c.input]),
    [
      ["ip", `${lines[0]}\n${lines[1]}\n`],
      ["ponton-neigh", `${lines[2]}\n${lines[3]}\n`],
      ["ip", `${lines[4]}\n${lines[5]}\n`],
      ["ponton-neigh", `${lines[6]}\n`],
      // Inside a workload the dump is of its own two links: ip as before.
      ["nsenter", "neigh replace 10.0.0.1 lladdr 02:00:00:00:00:01 dev eth0 nud permanent\n"],
    ],
  );
});
