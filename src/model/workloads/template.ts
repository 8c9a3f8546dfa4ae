// Pure: workload templates and their replicas (`ponton run --replicas`, `ponton scale`).
import { EngineError } from "../../errors";
import type { RunSpec } from "./workload-spec";
import { validateName } from "../names";

/** A stored run request that `scale` stamps out as workloads NAME-1…NAME-N. */
export interface Template {
  name: string;
  /** The run request of every replica (its name is the template's). */
  spec: RunSpec;
  /** Desired replicas: written before they are made, so a restart finishes an interrupted scale. */
  replicas: number;
  createdAt: string;
  /** Set by `ponton up`: the project and its declaration (to see changes). */
  project?: string;
  declared?: string;
}

/** Bounds the name suffix ("-1000": 5 characters) so every replica name is a valid workload name. */
export const MAX_REPLICAS = 1000;
const MAX_TEMPLATE_NAME = 63 - `-${MAX_REPLICAS}`.length;

/**
 * NAME-INDEX, as Compose names containers: a valid workload name and a single DNS label
 * (Swarm's NAME.INDEX would make `web.1.ponton.internal` a subdomain of `web`).
 */
export const replicaName = (template: string, index: number): string => `${template}-${index}`;

export function validateTemplateName(name: unknown): string {
  const valid = validateName("template", name);
  if (valid.length > MAX_TEMPLATE_NAME) {
    throw new EngineError("INVALID_NAME", `template name '${valid}' is longer than ${MAX_TEMPLATE_NAME} characters`, {
      hint: `replica names add -1…-${MAX_REPLICAS} and must stay within 63 characters`,
    });
  }
  return valid;
}

/** A replica count: a whole number from 0 to MAX_REPLICAS (a string from the command line is read as a number). */
export function parseReplicas(v: unknown, what = "replicas"): number {
  const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw new EngineError("INVALID_ARGUMENT", `${what} must be a whole number, not '${String(v)}'`);
  }
  if (n < 0) throw new EngineError("INVALID_ARGUMENT", `${what} must not be negative (${n})`, { hint: "scale to 0 to keep the template without replicas" });
  if (n > MAX_REPLICAS) throw new EngineError("INVALID_ARGUMENT", `${what} must be at most ${MAX_REPLICAS} (${n})`);
  return n;
}

/** `NAME=N …` into {NAME: N}; every argument is checked before anything is returned. */
export function parseScaleArgs(args: string[]): Record<string, number> {
  if (args.length === 0) throw new EngineError("INVALID_ARGUMENT", "nothing to scale", { hint: "ponton scale NAME=N [NAME=N…]" });
  const out: Record<string, number> = {};
  for (const a of args) {
    const eq = a.indexOf("=");
    if (eq <= 0) throw new EngineError("INVALID_ARGUMENT", `invalid scale '${a}'`, { hint: "write it as NAME=N, e.g. web=5" });
    const name = validateTemplateName(a.slice(0, eq));
    if (name in out) throw new EngineError("INVALID_ARGUMENT", `template ${name} is given twice`);
    out[name] = parseReplicas(a.slice(eq + 1), `replicas of ${name}`);
  }
  return out;
}

/**
 * What one template needs to reach `desired` replicas: new ones take the lowest indexes that
 * neither it nor another workload holds; surplus ones go highest index first.
 */
export function planScale(template: string, current: number[], takenNames: ReadonlySet<string>, desired: number): { add: number[]; remove: number[] } {
  if (current.length >= desired) return { add: [], remove: [...current].sort((a, b) => b - a).slice(0, current.length - desired) };
  const held = new Set(current);
  const add: number[] = [];
  for (let i = 1; add.length < desired - current.length; i++) {
    if (!held.has(i) && !takenNames.has(replicaName(template, i))) add.push(i);
  }
  return { add, remove: [] };
}

/**
 * Settings only one workload can hold: with more than one replica they would clash. Refused up
 * front (run, scale, `up`) rather than failing at the second replica.
 */
export function checkReplicable(name: string, spec: RunSpec, replicas: number): void {
  if (spec.netns) throw new EngineError("UNSUPPORTED", `template ${name}: --netns names one namespace and cannot be replicated`);
  if (replicas <= 1) return;
  if ((spec.ports ?? []).length > 0) {
    throw new EngineError("PORT_IN_USE", `template ${name}: ${replicas} replicas cannot all publish the same host ports`, {
      hint: `publish a service over the replicas instead: ponton service create ${name} --selector LABEL --port PORT --publish HOSTPORT:PORT`,
    });
  }
  const fixed = (spec.networks ?? []).find((a) => typeof a === "object" && (a.ip || a.ip6));
  if (fixed) {
    throw new EngineError("ADDRESS_IN_USE", `template ${name}: ${replicas} replicas cannot all hold a static address on network ${typeof fixed === "object" ? fixed.network : fixed}`, {
      hint: "leave out --ip/--ip6: each replica gets its own address",
    });
  }
}

/** Each replica knows who it is (Swarm's {{.Task.Slot}}): a server can answer with its own name. */
export function replicaEnv(template: string, index: number): Record<string, string> {
  return { PONTON_TEMPLATE: template, PONTON_REPLICA_INDEX: String(index), PONTON_REPLICA_NAME: replicaName(template, index) };
}
