#!/usr/bin/env node
// The test command: unit tests, then real-kernel integration tests (one file at a time: each builds
// its own throwaway host namespace), then a check that nothing was left on the machine.
"use strict";
const { execFileSync, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const dist = path.join(root, "dist");

function find(dir, pattern) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? find(p, pattern) : pattern.test(e.name) ? [p] : [];
  });
}

function snapshot() {
  const sh = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: "utf8" });
    } catch {
      return "";
    }
  };
  return {
    netns: fs.existsSync("/run/netns") ? fs.readdirSync("/run/netns").sort() : [],
    links: sh("ip", ["-o", "link", "show"]).split("\n").map((l) => l.split(":")[1]?.trim().split("@")[0]).filter(Boolean).sort(),
    ruleset: sh("nft", ["list", "ruleset"]),
    etcNetns: fs.existsSync("/etc/netns") ? fs.readdirSync("/etc/netns").sort() : [],
  };
}

const baseline = path.join(require("node:os").tmpdir(), `ponton-leak-baseline-${process.pid}.json`);
fs.writeFileSync(baseline, JSON.stringify(snapshot()));

const only = process.argv.slice(2);
const unit = find(path.join(dist, "src"), /\.test\.js$/);
const integration = find(path.join(dist, "test", "integration"), /\.test\.js$/);
const selected = (files) => (only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files);

const runs = [
  ["unit", ["--test", ...selected(unit)]],
  ["integration", ["--test", "--test-concurrency=1", ...selected(integration)]],
  ["leaks", ["--test", path.join(dist, "test", "no-leaks.check.js")]],
];
let failed = false;
for (const [name, args] of runs) {
  if (args.length <= 2 && name !== "leaks") continue;
  console.log(`\n# ── ${name} ──`);
  const r = spawnSync(process.execPath, args, { stdio: "inherit", env: { ...process.env, PONTON_LEAK_BASELINE: baseline } });
  if (r.status !== 0) failed = true;
}
fs.rmSync(baseline, { force: true });
process.exit(failed ? 1 : 0);
