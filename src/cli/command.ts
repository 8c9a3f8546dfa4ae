import type { Client } from "../client/client";
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

export const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : v === undefined ? [] : [String(v)]);
