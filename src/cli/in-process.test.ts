// pontond's in-process CLI: what a command writes is captured per call, in order, never reaching
// the daemon's own stdout/stderr, and concurrent calls do not mix.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runInProcess, type Frame } from "./in-process";
import { encodeFrames } from "../daemon/cli-route";

const text = (frames: Frame[], fd: 1 | 2) => Buffer.concat(frames.filter((f) => f[0] === fd).map((f) => f[1])).toString();

test("stdout, stderr and the exit code of a command line are captured, not written", async () => {
  // Set before the first call: the capture wraps whatever write the streams have then.
  const written: string[] = [];
  const [out, err] = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((c: string) => (written.push(String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string) => (written.push(String(c)), true)) as typeof process.stderr.write;
  try {
    const r = await runInProcess([], "/s", "/nonexistent/ponton.sock");
    assert.ok("exit" in r);
    assert.equal(r.exit, 2);
    assert.match(text(r.frames, 1), /^Usage: ponton \[--socket PATH\] COMMAND/);
    const [a, b] = await Promise.all([runInProcess(["bogus"], "/s", "/nonexistent/a.sock"), runInProcess(["ls"], "/shown.sock", "/nonexistent/b.sock")]);
    assert.ok("exit" in a && "exit" in b);
    assert.equal(a.exit, 2);
    assert.equal(text(a.frames, 2), "Error: INVALID_ARGUMENT: unknown command 'bogus'\nHint: see ponton --help\n");
    assert.equal(b.exit, 6);
    assert.match(text(b.frames, 2), /^Error: DAEMON_UNAVAILABLE: cannot reach pontond at \/nonexistent\/b\.sock: ENOENT\n/);
    assert.equal(text(b.frames, 1), "");
    // Outside a call, writes pass through.
    process.stdout.write("daemon log line\n");
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  assert.deepEqual(written.filter((w) => /Usage|Error:|daemon log/.test(w)), ["daemon log line\n"]);
});

test("a refused command line runs nothing", async () => {
  const r = await runInProcess(["daemon", "--socket", "/tmp/x.sock"], "/s", "/nonexistent/ponton.sock");
  assert.deepEqual(Object.keys(r), ["refused"]);
});

test("frames: fd, big-endian length, bytes, in order", () => {
  const out = encodeFrames([[2, Buffer.from("warn\n")], [1, Buffer.from("ok\n")]]);
  assert.deepEqual([...out], [2, 0, 0, 0, 5, ...Buffer.from("warn\n"), 1, 0, 0, 0, 3, ...Buffer.from("ok\n")]);
});
