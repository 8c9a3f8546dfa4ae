// The CLI starts for every command: it must load only what a client needs (args, errors, the HTTP
// client, formatting), never the engine's side (compile, policy, kernel, store, DNS, the flow
// collector) nor the YAML parser — that once made every command load 352 modules.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";

test("ponton --help loads no engine-side module and stays small", () => {
  const main = path.join(__dirname, "main.js");
  const probe = `const M=require("module");const seen=new Set();const orig=M._resolveFilename;M._resolveFilename=function(...a){const f=orig.apply(this,a);seen.add(f);return f};process.argv=[process.argv[0],"ponton","--help"];const exit=process.exit;process.exit=()=>{process.stderr.write(JSON.stringify([...seen]));exit(0)};require(${JSON.stringify(main)});`;
  const r = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8" });
  const loaded = JSON.parse(r.stderr) as string[];
  const src = path.resolve(__dirname, "..");
  const ours = loaded.filter((f) => f.startsWith(src)).map((f) => path.relative(src, f));
  const forbidden = ours.filter((f) => /^(engine|compile|policy|kernel|store|dns|daemon|api|ipam)\//.test(f) || f === "flows/collector.js" || f === "flows/index.js");
  assert.deepEqual(forbidden, []);
  assert.equal(loaded.some((f) => f.includes(`${path.sep}node_modules${path.sep}`)), false, "no npm package (yaml, sqlite…) at CLI start");
  assert.ok(ours.length < 40, `${ours.length} modules: ${ours.join(" ")}`);
});
