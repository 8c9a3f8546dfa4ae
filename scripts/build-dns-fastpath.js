#!/usr/bin/env node
// Builds native/dns-fastpath with npm's own node-gyp against the headers installed with the Node
// that runs this (PREFIX/include/node), so nothing is downloaded. Run through `npm run build`.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

function fail(message) {
  console.error(`build dns-fastpath: ${message}`);
  process.exit(1);
}

const prefix = path.resolve(path.dirname(process.execPath), "..");
const header = path.join(prefix, "include", "node", "node_api.h");
if (!fs.existsSync(header)) fail(`no Node headers at ${header}; install the ones for ${process.version} (Debian: libnode-dev)`);
const nodeGyp = process.env.npm_config_node_gyp;
if (!nodeGyp) fail("run it through npm ('npm run build'), which provides node-gyp");
const dir = path.resolve(__dirname, "..", "native", "dns-fastpath");
const r = spawnSync(process.execPath, [nodeGyp, "rebuild", "--loglevel=warn", `--nodedir=${prefix}`, "--directory", dir], { stdio: "inherit" });
process.exit(r.status ?? 1);
