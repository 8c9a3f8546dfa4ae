// A small option parser: long and short flags, repeated values, and "the command starts at the first
// positional" for run/exec (so `ponton run --name a sleep -n 5` passes -n to sleep).
import { EngineError } from "../errors";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  description: string;
  /** Shown in help as the value's name. */
  value?: string;
}

export type Options = Record<string, OptionSpec>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Everything after `--` or, with stopAtPositional, after the first positional's predecessors. */
  rest: string[];
}

export function parseArgs(argv: string[], options: Options, opts: { stopAtPositional?: number } = {}): Parsed {
  const values: Parsed["values"] = {};
  const positionals: string[] = [];
  const byShort = new Map(Object.entries(options).filter(([, o]) => o.short).map(([k, o]) => [o.short!, k]));
  let i = 0;
  const set = (name: string, value: string | boolean) => {
    const spec = options[name]!;
    if (spec.multiple) values[name] = [...((values[name] as string[] | undefined) ?? []), String(value)];
    else if (spec.type === "string" && values[name] !== undefined && values[name] !== value) {
      // A second value would silently replace the first (`--subnet A --subnet B` kept only B).
      throw new EngineError("INVALID_ARGUMENT", `--${name} takes one value, given '${String(values[name])}' and '${String(value)}'`);
    } else values[name] = value;
  };
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") return { values, positionals, rest: argv.slice(i + 1) };
    if (opts.stopAtPositional !== undefined && positionals.length >= opts.stopAtPositional && !a.startsWith("-")) {
      return { values, positionals, rest: argv.slice(i) };
    }
    if (!a.startsWith("-") || a === "-") {
      positionals.push(a);
      continue;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq > 0 ? a.slice(eq + 1) : undefined;
    } else {
      name = byShort.get(a.slice(1, 2));
      inline = a.length > 2 ? a.slice(2) : undefined;
    }
    const spec = name === undefined ? undefined : options[name];
    if (!spec || name === undefined) throw new EngineError("INVALID_ARGUMENT", `unknown option '${a}'`, { hint: "see --help" });
    if (spec.type === "boolean") {
      set(name, inline === undefined ? true : inline !== "false");
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new EngineError("INVALID_ARGUMENT", `option '${a}' needs a value`);
    set(name, value);
  }
  return { values, positionals, rest: [] };
}

export function helpText(usage: string, summary: string, options: Options): string {
  const lines = [`Usage: ${usage}`, "", summary, ""];
  const entries = Object.entries(options);
  if (entries.length) {
    lines.push("Options:");
    for (const [name, o] of entries) {
      const flag = `${o.short ? `-${o.short}, ` : "    "}--${name}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}`;
      lines.push(`  ${flag.padEnd(34)} ${o.description}${o.multiple ? " (repeatable)" : ""}`);
    }
  }
  return lines.join("\n");
}
