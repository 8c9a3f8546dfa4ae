// Builds the web UI (web/) into dist/web: type-checked by tsc, bundled and minified by esbuild.
// No network: everything comes from node_modules.
const { execFileSync } = require("node:child_process");
const { copyFileSync, mkdirSync } = require("node:fs");
const path = require("node:path");
const esbuild = require("esbuild");

const root = path.join(__dirname, "..");
const out = path.join(root, "dist", "web");
try {
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "web")], { stdio: "inherit" });
} catch {
  process.exit(1);
}
mkdirSync(out, { recursive: true });
esbuild.buildSync({
  entryPoints: [path.join(root, "web", "main.tsx")],
  outfile: path.join(out, "app.js"),
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  jsx: "automatic",
  jsxImportSource: "preact",
  logLevel: "warning",
});
for (const f of ["index.html", "app.css"]) copyFileSync(path.join(root, "web", f), path.join(out, f));
