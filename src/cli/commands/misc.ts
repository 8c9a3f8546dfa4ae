import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { EngineError } from "../../errors";
import { OUTPUT_OPTION, type Command, type CommandContext } from "../command";
import { printJson, printTable, show } from "../output";

interface PortView {
  workload: string;
  spec: string;
  target?: string;
  reachableFrom: string;
}

function readProjectFile(file: string | undefined): { yaml: string; project: string } {
  if (!file) throw new EngineError("INVALID_ARGUMENT", "give the YAML file: ponton up FILE.yaml");
  let yaml: string;
  try {
    yaml = readFileSync(file, "utf8");
  } catch (e) {
    throw new EngineError("NOT_FOUND", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`);
  }
  return { yaml, project: path.basename(file).replace(/\.(ya?ml)$/, "") };
}

const bin = (name: string) => path.join(__dirname, "..", "..", "..", "..", "bin", name);

/** `ponton up` starts the daemon when none answers, and says so. */
async function ensureDaemon(ctx: CommandContext): Promise<void> {
  try {
    await ctx.client.request("GET", "/v1/info");
    return;
  } catch (e) {
    // Only when nobody listens: a permission error or a daemon that died mid-request is reported.
    const errno = ((e as EngineError).details as { errno?: string } | undefined)?.errno;
    if ((e as EngineError).code !== "DAEMON_UNAVAILABLE" || (errno !== "ENOENT" && errno !== "ECONNREFUSED")) throw e;
  }
  console.error(`ponton: no daemon on ${ctx.socket}; starting pontond in the background`);
  const child = spawn(process.execPath, [bin("pontond"), "--socket", ctx.socket], { detached: true, stdio: "ignore" });
  child.unref();
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      await ctx.client.request("GET", "/v1/info");
      return;
    } catch {
      // not yet
    }
  }
  throw new EngineError("DAEMON_UNAVAILABLE", "pontond did not start within 10 s");
}

function printReport(format: string, r: { created: string[]; recreated: string[]; unchanged: string[]; removed: string[] }): void {
  if (format === "json") return printJson(r);
  for (const [k, items] of Object.entries(r)) for (const i of items as string[]) console.log(`${k.padEnd(9)} ${i}`);
}

export const portCommands: Record<string, Command> = {
  ls: {
    usage: "ponton port ls [-o json]",
    summary: "Every published port, where it leads and from where it is reachable.",
    options: { ...OUTPUT_OPTION },
    async run({ client, format }) {
      const ports = await client.request<PortView[]>("GET", "/v1/ports");
      show(format, ports, (ps) => printTable(["WORKLOAD", "PUBLISHED", "TARGET", "REACHABLE FROM"], ps.map((p) => [p.workload, p.spec, p.target, p.reachableFrom])));
    },
  },
};

export const firewallCommands: Record<string, Command> = {
  ls: {
    usage: "ponton firewall ls [-o json]",
    summary: "Rules of the user hook chain (inet ponton user), evaluated before Ponton's own forward rules.",
    options: { ...OUTPUT_OPTION },
    async run({ client, format }) {
      const rules = await client.request<{ id: number; rule: string; owner?: string }[]>("GET", "/v1/firewall/rules");
      show(format, rules, (rs) => printTable(["ID", "RULE", "FROM"], rs.map((r) => [r.id, r.rule, r.owner ?? "cli"])));
    },
  },
  add: {
    usage: "ponton firewall add [--position N] RULE...",
    summary: "Add an nft rule to the user hook chain, e.g. 'tcp dport 5678 reject'. Kept across re-syncs and restarts.",
    options: { position: { type: "string", description: "insert before the N-th rule (0-based)", value: "N" }, ...OUTPUT_OPTION },
    async run({ client, args, format }) {
      const rule = args.positionals.join(" ");
      const r = await client.request<{ id: number }>("POST", "/v1/firewall/rules", { rule, ...(args.values.position !== undefined ? { position: Number(args.values.position) } : {}) });
      show(format, r, () => console.log(r.id));
    },
  },
  rm: {
    usage: "ponton firewall rm ID...",
    summary: "Remove user hook rules by id.",
    options: {},
    async run({ client, args }) {
      for (const id of args.positionals) await client.request("DELETE", `/v1/firewall/rules/${encodeURIComponent(id)}`);
    },
  },
};

export const topCommands: Record<string, Command> = {
  up: {
    usage: "ponton up FILE.yaml",
    summary: "Create or converge the networks, workloads and user rules a file declares (idempotent).",
    options: { ...OUTPUT_OPTION },
    async run(ctx) {
      const body = readProjectFile(ctx.args.positionals[0]);
      await ensureDaemon(ctx);
      printReport(ctx.format, await ctx.client.request("POST", "/v1/up", body));
    },
  },
  down: {
    usage: "ponton down FILE.yaml",
    summary: "Remove everything the file's project created.",
    options: { ...OUTPUT_OPTION },
    async run(ctx) {
      printReport(ctx.format, await ctx.client.request("POST", "/v1/down", readProjectFile(ctx.args.positionals[0])));
    },
  },
  reconcile: {
    usage: "ponton reconcile",
    summary: "Make the kernel match the desired state now (rebuilds missing pieces, replaces our nft table whole).",
    options: {},
    async run({ client }) {
      printJson(await client.request("POST", "/v1/reconcile"));
    },
  },
  info: {
    usage: "ponton info",
    summary: "Daemon facts.",
    options: {},
    async run({ client }) {
      printJson(await client.request("GET", "/v1/info"));
    },
  },
};

/** `ponton daemon …` runs pontond in the foreground with the same arguments. */
export function runDaemon(argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin("pontond"), ...argv], { stdio: "inherit" });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}
