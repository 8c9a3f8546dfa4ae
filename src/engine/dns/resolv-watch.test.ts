import assert from "node:assert/strict";
import { mkdtempSync, rmSync, renameSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ResolvWatch } from "./resolv-watch";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("an edit in place, a replacement by rename (twice) and a file created later are all seen; bursts fold", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "resolv-watch-"));
  const file = path.join(dir, "resolv.conf");
  writeFileSync(file, "nameserver 192.0.2.1\n");
  let calls = 0;
  const w = new ResolvWatch([file, path.join(dir, "missing", "resolv.conf")], () => calls++, 50);
  w.start();
  try {
    appendFileSync(file, "nameserver 192.0.2.2\n");
    appendFileSync(file, "nameserver 192.0.2.3\n");
    await sleep(200);
    assert.equal(calls, 1, "one call for a burst of edits");
    for (let i = 0; i < 2; i++) {
      writeFileSync(path.join(dir, ".tmp"), `nameserver 192.0.2.${10 + i}\n`);
      renameSync(path.join(dir, ".tmp"), file);
      await sleep(200);
      assert.equal(calls, 2 + i, `rename ${i + 1}`);
    }
    appendFileSync(file, "options ndots:2\n"); // the inode that came by rename is watched too
    await sleep(200);
    assert.equal(calls, 4);
    writeFileSync(path.join(dir, "unrelated"), "x");
    await sleep(200);
    assert.equal(calls, 4, "other files in the directory do not count");
  } finally {
    w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
