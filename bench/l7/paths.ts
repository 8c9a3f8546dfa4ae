// Requests/s through HTTP rules on the paths issue 18's last helper changed, in one run, modes
// alternated (A B C … per round) because the machine is shared; medians and ratios to L3/L4 only:
// - bridge, egress HTTP rules (TPROXY through the detour link, the destination sees the client),
//   vs the same pair with ingress HTTP rules (redirect) and with no HTTP rules (L3/L4);
// - routed network, ingress HTTP rules (mark + local route, the workload sees the client) vs L3/L4.
// wrk, 10 connections, keep-alive and `Connection: close`.
// Run: npx tsc -p tsconfig.json && node dist/bench/l7/paths.js [--quick]
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost } from "../../test/integration/harness";
import { summarize } from "../lib/stats";

const quick = process.argv.includes("--quick");
const SECONDS = quick ? 2 : 4;
const ROUNDS = quick ? 2 : 3;
const SERVER = `require("http").createServer((q,s)=>s.end("ok\\n")).listen(80)`;

const policy = (kind: "l4" | "ingress" | "egress", app: string) => `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: ${app}, namespace: default}
spec:
${kind === "egress" ? `  endpointSelector: {matchLabels: {app: client-${app}}}
  egress:
  - toEndpoints: [{matchLabels: {app: ${app}}}]` : `  endpointSelector: {matchLabels: {app: ${app}}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: client-${app}}}]`}
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
${kind !== "l4" ? `      rules: {http: [{method: GET, path: "/"}]}\n` : ""}`;

async function main(): Promise<void> {
  const h = await new TestHost("hrb").setUp();
  try {
    await h.pontonOk("network", "create", "bb", "--subnet", "10.74.0.0/24");
    await h.pontonOk("network", "create", "br", "--driver", "routed", "--subnet", "10.73.0.0/24");
    const addr: Record<string, string> = {};
    for (const [app, net] of [["webb", "bb"], ["webr", "br"]] as const) {
      addr[app] = (JSON.parse(await h.pontonOk("run", "--name", app, "--network", net, "--label", `app=${app}`, "-o", "json", "--", process.execPath, "-e", SERVER)) as { networks: { ip4: string }[] }).networks[0]!.ip4;
      await h.pontonOk("run", "--name", `cli-${app}`, "--network", net, "--label", `app=client-${app}`);
      await h.inWorkload(`cli-${app}`, "sysctl", ["-qw", "net.ipv4.tcp_tw_reuse=1", "net.ipv4.ip_local_port_range=1024 65535"]);
    }
    const modes = [["webb", "l4"], ["webb", "ingress"], ["webb", "egress"], ["webr", "l4"], ["webr", "ingress"]] as const;
    const samples: Record<string, number[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [app, kind] of modes) {
        const file = path.join(h.dir, `${app}-${kind}.yaml`);
        writeFileSync(file, policy(kind, app));
        await h.pontonOk("policy", "apply", "-f", file);
        await h.inHost("conntrack", ["-F"]);
        for (const close of [false, true]) {
          const cmd = `wrk -t1 -c10 -d${SECONDS}s ${close ? "-H 'Connection: close' " : ""}http://${addr[app]}/`;
          const r = await h.inWorkload(`cli-${app}`, "bash", ["-c", cmd], 60_000);
          if (/Non-2xx/.test(r.stdout)) throw new Error(`non-2xx answers in ${app} ${kind}:\n${r.stdout}`);
          const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0);
          const key = `${app === "webb" ? "bridge" : "routed"}.${kind}.${close ? "newConn" : "keepAlive"}`;
          (samples[key] ??= []).push(rps);
          console.log(JSON.stringify({ round, key, rps: Math.round(rps) }));
        }
      }
    }
    const med = (k: string) => Math.round(summarize(samples[k]!).p50);
    const out: Record<string, unknown> = { date: new Date().toISOString(), seconds: SECONDS, rounds: ROUNDS, load: readFileSync("/proc/loadavg", "utf8").trim() };
    for (const k of Object.keys(samples)) out[k] = med(k);
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    for (const load of ["keepAlive", "newConn"]) {
      out[`ratio.bridge.egress/l4.${load}`] = r3(med(`bridge.egress.${load}`) / med(`bridge.l4.${load}`));
      out[`ratio.bridge.ingress/l4.${load}`] = r3(med(`bridge.ingress.${load}`) / med(`bridge.l4.${load}`));
      out[`ratio.routed.ingress/l4.${load}`] = r3(med(`routed.ingress.${load}`) / med(`routed.l4.${load}`));
    }
    console.log(JSON.stringify(out, null, 2));
    writeFileSync(path.join(__dirname, "..", "..", "..", "bench", "l7", "paths-last-run.json"), JSON.stringify(out, null, 2) + "\n");
  } finally {
    await h.tearDown();
  }
}

void main();
