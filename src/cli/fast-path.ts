// Which command lines pontond may run in-process for bin/ponton-client (native/ponton-client): only
// those whose whole input is the argv. Anything that reads a file or stdin, needs a tty, streams
// until interrupted, runs a program on the client's side or depends on the client's cwd is refused
// here, and the client runs the Node CLI instead: the daemon never reads anything on the client's
// behalf. An allowlist, so a new command is served only once it is added here.
import type { Command } from "./command";
import type { Options } from "../args/parse";
import { parseArgs } from "../args/parse";
import { GROUPS as INDEX_GROUPS, TOP as INDEX_TOP } from "./command-index";

/** Top-level verbs served (exec, logs, observe, up, down and daemon are not). */
const TOP = new Set(["run", "ls", "inspect", "stop", "start", "rm", "label", "scale", "info", "reconcile"]);
/** Group commands served (apply -f and policy log are not). */
const GROUPS: Record<string, ReadonlySet<string>> = {
  network: new Set(["create", "update", "ls", "inspect", "rm", "connect", "disconnect"]),
  port: new Set(["ls"]),
  firewall: new Set(["ls", "add", "rm"]),
  service: new Set(["create", "update", "ls", "inspect", "rm"]),
  namespace: new Set(["create", "ls", "rm", "label"]),
  template: new Set(["ls", "rm"]),
  dns: new Set(["records", "query"]),
  node: new Set(["ls", "tunnels", "rm"]),
  policy: new Set(["ls", "rm", "explain"]),
  "lb-pool": new Set(["ls", "rm"]),
  bgp: new Set(["ls", "status"]),
  flows: new Set(["status"]),
};
/** Options that name something on the client's side (a file, a path relative to its cwd) or stream. */
const CLIENT_SIDE_VALUE = /^(FILE|PATH|DIR)$/;
const CLIENT_SIDE_NAME = /file|follow|^netns$|^tty$|^interactive$/;

/** The command `ponton FIRST [SECOND]` names (SECOND for groups), if any. */
export type Resolve = (first: string, second: string | undefined) => Promise<Command | undefined>;

/** The command index's answer (command-index.ts). */
export const indexResolve: Resolve = async (first, second) => {
  const group = INDEX_GROUPS[first];
  if (group) return second === undefined ? undefined : (await group())[second];
  return (await INDEX_TOP[first]?.())?.[first];
};

/**
 * Why `argv` (as after `ponton`) must run in the user's own process, or undefined when pontond may
 * run it. `resolve` finds the command; usage, --help and error-only lines are served.
 */
export async function fastPathRefusal(argv: string[], resolve: Resolve = indexResolve): Promise<string | undefined> {
  while (argv[0] === "--socket" || argv[0]?.startsWith("--socket=")) argv = argv.slice(argv[0] === "--socket" ? 2 : 1);
  const [first, second] = argv;
  if (!first || first === "--help" || first === "-h" || first === "help") return undefined;
  const allowed = GROUPS[first];
  if (allowed) {
    if (second === undefined || second === "--help") return undefined;
    const cmd = await resolve(first, second);
    if (cmd === undefined) return undefined; // an unknown subcommand: the group's usage line
    if (!allowed.has(second)) return `'${first} ${second}' runs in the client`;
    return optionRefusal(argv.slice(2), cmd);
  }
  const cmd = await resolve(first, undefined);
  if (!TOP.has(first)) {
    // An unknown command only prints its error; `daemon` is no indexed command but starts pontond.
    return cmd === undefined && first !== "daemon" ? undefined : `'${first}' runs in the client`;
  }
  return cmd ? optionRefusal(argv.slice(1), cmd) : `'${first}' is not in the command index`;
}

function optionRefusal(rest: string[], cmd: Command): string | undefined {
  let values: Record<string, unknown>;
  try {
    values = parseArgs(rest, cmd.options, cmd.stopAtPositional === undefined ? {} : { stopAtPositional: cmd.stopAtPositional }).values;
  } catch {
    return undefined; // the parse error is all the command will print
  }
  const named = clientSideOptions(cmd.options).filter((k) => values[k] !== undefined);
  return named.length ? `--${named.join(", --")} is read in the client` : undefined;
}

export function clientSideOptions(options: Options): string[] {
  return Object.entries(options)
    .filter(([k, o]) => CLIENT_SIDE_NAME.test(k) || CLIENT_SIDE_VALUE.test(o.value ?? ""))
    .map(([k]) => k);
}
