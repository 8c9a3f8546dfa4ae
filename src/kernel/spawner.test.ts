import { test } from "node:test";
import assert from "node:assert/strict";
import { CommandError } from "./executor";
import { SpawnerExecutor } from "./spawner";

test("the spawner runs programs with stdin, returns their output, and reports failures as CommandError", async () => {
  const exec = new SpawnerExecutor();
  try {
    const r = await exec.run("sh", ["-c", "cat; echo err >&2"], "in\n");
    assert.deepEqual({ stdout: r.stdout, stderr: r.stderr }, { stdout: "in\n", stderr: "err\n" });
    // The program's own PID comes back (the nf_tables watcher tells our commits by it).
    const me = await exec.run("sh", ["-c", "echo $$"]);
    assert.equal(me.pid, Number(me.stdout));
    const runs = await Promise.all([1, 2, 3].map((i) => exec.run("sh", ["-c", `sleep 0.0${4 - i}; echo ${i}`])));
    assert.deepEqual(runs.map((r) => r.stdout), ["1\n", "2\n", "3\n"], "concurrent runs each get their own answer");
    await assert.rejects(exec.run("sh", ["-c", "echo why >&2; exit 3"]), (e: unknown) => e instanceof CommandError && e.exitCode === 3 && e.stderr === "why\n");
    await assert.rejects(exec.run("/nonexistent/program", []), (e: unknown) => e instanceof CommandError && e.exitCode === null);
  } finally {
    exec.close();
  }
});

test("a spawner that died is started again on the next run", async () => {
  const exec = new SpawnerExecutor();
  try {
    const pid = Number((await exec.run("sh", ["-c", "echo $PPID"])).stdout);
    process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await exec.run("echo", ["again"])).stdout, "again\n");
    assert.notEqual(Number((await exec.run("sh", ["-c", "echo $PPID"])).stdout), pid);
  } finally {
    exec.close();
  }
});
