import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { listenLogSocket } from "./l7-log-socket";

const tick = () => new Promise((r) => setImmediate(r));

test("lines written one by one arrive whole, in order, and in batches (not one wake-up per line)", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "l7log-"));
  const batches: string[][] = [];
  const server = await listenLogSocket(path.join(dir, "log.sock"), (lines) => batches.push(lines));
  try {
    const c = net.connect(path.join(dir, "log.sock"));
    await new Promise((r) => c.once("connect", r));
    const N = 300;
    // Each line its own write, the second line split in two writes: a partial line waits for its end.
    for (let i = 0; i < N; i++) {
      if (i === 1) {
        c.write("line 1 first half ");
        await tick();
        c.write("second half\n");
      } else c.write(`line ${i}\n`);
      await tick();
    }
    c.end();
    const all = () => batches.flat();
    for (let i = 0; i < 500 && all().length < N; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(all(), Array.from({ length: N }, (_, i) => (i === 1 ? "line 1 first half second half" : `line ${i}`)));
    // Read as they came, 300 writes spaced by a turn of the event loop are ~300 reads.
    assert.ok(batches.length < N / 3, `${batches.length} batches for ${N} lines`);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a backlog larger than one read arrives whole", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "l7log-"));
  let count = 0;
  const server = await listenLogSocket(path.join(dir, "log.sock"), (lines) => (count += lines.length));
  try {
    const c = net.connect(path.join(dir, "log.sock"));
    const line = `${"x".repeat(99)}\n`;
    const N = 20_000; // 2 MB: more than one read
    c.end(line.repeat(N));
    for (let i = 0; i < 1000 && count < N; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(count, N);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
