import type { Client } from "../client/client";
import { parseObjectRef, type ObjectRef } from "../model/object-ref";
import type { Options, Parsed } from "../args/parse";
import type { Format } from "./output";

export interface CommandContext {
  client: Client;
  format: Format;
  socket: string;
  args: Parsed;
}

export interface Command {
  usage: string;
  summary: string;
  options: Options;
  /** For run/exec: the command starts after this many positionals. */
  stopAtPositional?: number;
  run(ctx: CommandContext): Promise<number | void>;
}

export const OUTPUT_OPTION = { output: { type: "string" as const, short: "o", description: "output format: table or json", value: "FORMAT" } };

/** `-n NS`: the namespace of the objects named (NS/NAME says the same). */
export const NAMESPACE_OPTION = { namespace: { type: "string" as const, short: "n", description: "namespace of the objects named (or write NS/NAME)", value: "NS" } };
/** Each positional as a reference, `-n` applied. */
export const refs = (kind: string, args: { positionals: string[]; values: Record<string, unknown> }): ObjectRef[] =>
  args.positionals.map((p) => parseObjectRef(kind, p, args.values.namespace === undefined ? undefined : String(args.values.namespace)));
export const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : v === undefined ? [] : [String(v)]);
