// ponton: the CLI, a client of pontond's API with docker-like verbs. main.ts runs it in its own
// process; pontond runs it in-process for bin/ponton-client (fast-path.ts says which command lines).
import { Client } from "../client/client";
import { asEngineError, codeInfo, EngineError } from "../errors";
import { helpText, parseArgs } from "../args/parse";
import { socketFrom } from "../settings";
import type { Command } from "./command";
import { GROUPS, TOP } from "./command-index";

const USAGE = `Usage: ponton [--socket PATH] COMMAND [options]

Workloads:  run, ls, inspect, exec, logs, stop, start, rm, label
Replicas:   run --replicas N, scale NAME=N…, template ls|rm
Namespaces: namespace create|ls|label   (policy groupings with labels)
Policies:   policy apply -f FILE|ls|rm|explain|log   (Kubernetes NetworkPolicy)
Flows:      observe [--follow] [--verdict DROPPED] …, flows status   (from kernel NFLOG events)
Networks:   network create|ls|inspect|rm|connect|disconnect
Ports:      port ls
DNS:        dns records [--network NET], dns query NAME --from WORKLOAD
Services:   service create|ls|inspect|update|rm   (load-balanced VIPs)
Cluster:    node ls|tunnels|rm, network create --scope cluster   (pontond --cluster http://ETCD:2379 --node-name N)
LB pools:   lb-pool apply -f FILE|ls|rm   (CiliumLoadBalancerIPPool: LoadBalancer addresses)
BGP:        bgp apply -f FILE|ls|rm|status   (CiliumBGPPeeringPolicy: FRR's bgpd announces them)
L2:         l2-policy apply -f FILE|ls|rm|status   (CiliumL2AnnouncementPolicy: ARP/NDP answers on a segment)
Firewall:   firewall ls|add|rm      (the user hook chain, like DOCKER-USER)
Files:      up FILE.yaml, down FILE.yaml
Daemon:     daemon [pontond options], info, reconcile

Every command takes --help; read commands take -o json.
The socket is --socket, else $PONTON_SOCKET, else /run/ponton/ponton.sock.
Exit codes: 0 ok, 1 internal, 2 bad input, 3 conflict, 4 not found, 5 kernel error, 6 daemon unavailable.`;

/** Where the CLI talks to: by default --socket, else $PONTON_SOCKET, else the default path. */
export interface CliTarget {
  /** The socket path as the user named it (shown in messages). */
  socket: string;
  /** The socket to connect to (pontond's own when it runs the CLI in-process). */
  connect: string;
}

async function main(argv: string[], target?: CliTarget): Promise<number> {
  let socketFlag: string | undefined;
  while (argv[0] === "--socket" || argv[0]?.startsWith("--socket=")) {
    socketFlag = argv[0] === "--socket" ? argv[1] : argv[0].slice(9);
    argv = argv.slice(argv[0] === "--socket" ? 2 : 1);
  }
  const [first, second] = argv;
  if (!first || first === "--help" || first === "-h" || first === "help") {
    console.log(USAGE);
    return first ? 0 : 2;
  }
  if (first === "daemon") return (await import("./commands/misc")).runDaemon([...(socketFlag ? ["--socket", socketFlag] : []), ...argv.slice(1)]);
  let cmd: Command | undefined;
  let rest: string[];
  const group = GROUPS[first];
  if (group) {
    const commands = await group();
    cmd = second ? commands[second] : undefined;
    rest = argv.slice(2);
    if (!cmd) {
      console.log(`Usage: ponton ${first} ${Object.keys(commands).join("|")} [options]`);
      return second === "--help" ? 0 : 2;
    }
  } else {
    cmd = TOP[first] ? (await TOP[first]!())[first] : undefined;
    rest = argv.slice(1);
    if (!cmd) throw new EngineError("INVALID_ARGUMENT", `unknown command '${first}'`, { hint: "see ponton --help" });
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    const helpIndex = Math.max(rest.indexOf("--help"), rest.indexOf("-h"));
    const dashdash = rest.indexOf("--");
    if (dashdash < 0 || helpIndex < dashdash) {
      console.log(helpText(cmd.usage, cmd.summary, cmd.options));
      return 0;
    }
  }
  // Docker's `-o KEY=VALUE` driver option: the `=` tells it from an output format (-o json).
  if (cmd.options.opt) rest = rest.map((a, i) => (a === "-o" && rest[i + 1]?.includes("=") ? "--opt" : a));
  const args = parseArgs(rest, cmd.options, cmd.stopAtPositional === undefined ? {} : { stopAtPositional: cmd.stopAtPositional });
  const format = args.values.output === "json" ? "json" : "table";
  if (args.values.output !== undefined && args.values.output !== "json" && args.values.output !== "table") {
    throw new EngineError("INVALID_ARGUMENT", `unknown output format '${String(args.values.output)}'`, { hint: "use -o json or -o table" });
  }
  const socket = target?.socket ?? socketFrom(socketFlag);
  const client = new Client(target?.connect ?? socket);
  try {
    return (await cmd.run({ client, format, socket, args })) ?? 0;
  } finally {
    client.close();
  }
}

/** Runs one command line; errors are printed as `Error: CODE: message` (+ hint). The exit code. */
export async function runCli(argv: string[], target?: CliTarget): Promise<number> {
  try {
    return await main(argv, target);
  } catch (err) {
    const e = asEngineError(err);
    console.error(`Error: ${e.code}: ${e.message}`);
    if (e.hint) console.error(`Hint: ${e.hint}`);
    return codeInfo(e.code).exit;
  }
}
