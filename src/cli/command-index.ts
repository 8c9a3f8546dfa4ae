// Which module holds each command. Command modules load on use: a CLI start pays only for the
// command it runs (lazy-commands.test.ts keeps this index in step with the modules).
import type { Command } from "./command";

type Commands = Record<string, Command>;
export const GROUPS: Record<string, () => Promise<Commands>> = {
  network: async () => (await import("./commands/network")).networkCommands,
  dns: async () => (await import("./commands/dns")).dnsCommands,
  port: async () => (await import("./commands/misc")).portCommands,
  firewall: async () => (await import("./commands/misc")).firewallCommands,
  service: async () => (await import("./commands/service")).serviceCommands,
  "lb-pool": async () => (await import("./commands/lb-pool")).lbPoolCommands,
  bgp: async () => (await import("./commands/bgp")).bgpCommands,
  "l2-policy": async () => (await import("./commands/l2-policy")).l2PolicyCommands,
  namespace: async () => (await import("./commands/namespace")).namespaceCommands,
  policy: async () => (await import("./commands/policy")).policyCommands,
  flows: async () => (await import("./commands/observe")).flowsCommands,
  template: async () => (await import("./commands/template")).templateCommands,
  node: async () => (await import("./commands/node")).nodeCommands,
};
const workloads = async () => (await import("./commands/workload")).workloadCommands;
const misc = async () => (await import("./commands/misc")).topCommands;
/** Top-level verbs and the module each lives in. */
export const TOP: Record<string, () => Promise<Commands>> = {
  ...Object.fromEntries(["run", "ls", "inspect", "exec", "stop", "start", "rm", "logs"].map((v) => [v, workloads])),
  ...Object.fromEntries(["up", "down", "reconcile", "info"].map((v) => [v, misc])),
  label: async () => ({ label: (await import("./commands/namespace")).labelCommand }),
  observe: async () => ({ observe: (await import("./commands/observe")).observeCommand }),
  scale: async () => ({ scale: (await import("./commands/template")).scaleCommand }),
};
