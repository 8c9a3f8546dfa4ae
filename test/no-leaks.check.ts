// Runs last: the machine must look as it did before the suite (no namespace, link, nft table,
// per-namespace file or daemon of ours left behind).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";

interface Snapshot {
  netns: string[];
  links: string[];
  ruleset: string;
  etcNetns: string[];
}

const sh = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: "utf8" });
  } catch {
    return "";
  }
};

const before: Snapshot | undefined = process.env.PONTON_LEAK_BASELINE ? JSON.parse(readFileSync(process.env.PONTON_LEAK_BASELINE, "utf8")) : undefined;

test("no network namespace left by the tests", { skip: before === undefined ? "run through scripts/run-tests.js" : false }, () => {
  const now = existsSync("/run/netns") ? readdirSync("/run/netns") : [];
  assert.deepEqual(now.filter((n) => !before!.netns.includes(n)), []);
});

test("no link, nft table or /etc/netns entry left on the machine", { skip: before === undefined ? "run through scripts/run-tests.js" : false }, () => {
  const links = sh("ip", ["-o", "link", "show"]).split("\n").map((l) => l.split(":")[1]?.trim().split("@")[0]).filter((x): x is string => !!x);
  assert.deepEqual(links.filter((l) => !before!.links.includes(l)), []);
  assert.equal(sh("nft", ["list", "ruleset"]), before!.ruleset);
  const etc = existsSync("/etc/netns") ? readdirSync("/etc/netns") : [];
  assert.deepEqual(etc.filter((n) => !before!.etcNetns.includes(n)), []);
});

test("no pontond started by the tests is still running", () => {
  const procs = sh("pgrep", ["-af", "bin/pontond"]).split("\n").filter((l) => l.includes("--state-dir /tmp/pt"));
  assert.deepEqual(procs, []);
});

test("no port holder started by the tests is still running", () => {
  // It outlives pontond by design; the harness kills it with the rest of the host namespace.
  const procs = sh("pgrep", ["-af", "holder-main.js"]).split("\n").filter((l) => l.includes("/tmp/pt"));
  assert.deepEqual(procs, []);
});
