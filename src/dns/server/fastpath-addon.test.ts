// The addon loader: a missing or broken build is a coded error naming the fix, not a crash later.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { ADDON_PATH, FastpathUnavailableError, loadAddon } from "./fastpath-addon";

test("the built addon loads and has every function the wrapper calls", () => {
  const addon = loadAddon(ADDON_PATH);
  for (const fn of ["tableCreate", "tableRemember", "tableForget", "tableDropView", "tableBindClient", "tableUnbindAddress", "tableCounters", "listen", "localPort", "send", "close"]) {
    assert.equal(typeof (addon as unknown as Record<string, unknown>)[fn], "function", fn);
  }
});

test("a missing or corrupt addon throws DNS_FASTPATH_UNAVAILABLE with the fix", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ponton-addon-"));
  try {
    const corrupt = path.join(dir, "corrupt.node");
    fs.writeFileSync(corrupt, "not an ELF file");
    for (const file of [path.join(dir, "missing.node"), corrupt]) {
      assert.throws(
        () => loadAddon(file),
        (err: unknown) => err instanceof FastpathUnavailableError && err.code === "DNS_FASTPATH_UNAVAILABLE" && err.message.includes(file) && err.message.includes("npm run build"),
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
