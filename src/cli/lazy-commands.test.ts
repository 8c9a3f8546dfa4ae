// The command index names each verb's module by hand (so a start loads only that module): every
// command the modules export must be reachable through it, and every indexed verb must exist.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import { GROUPS, TOP } from "./command-index";
import type { Command } from "./command";

const isCommand = (v: unknown): v is Command => typeof v === "object" && v !== null && typeof (v as Command).run === "function";

test("every top-level verb in the index resolves to its command", async () => {
  for (const [verb, load] of Object.entries(TOP)) assert.ok(isCommand((await load())[verb]), `ponton ${verb}`);
});

test("every command a module exports is reachable through the index", async () => {
  const reachable = new Set<Command>();
  for (const load of [...Object.values(GROUPS), ...Object.values(TOP)]) for (const c of Object.values(await load())) reachable.add(c);
  const dir = path.join(__dirname, "commands");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".js"))) {
    const mod = (await import(path.join(dir, file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      const commands = isCommand(value) ? [value] : typeof value === "object" && value !== null ? Object.values(value).filter(isCommand) : [];
      for (const c of commands) assert.ok(reachable.has(c), `${file}: ${name} (${c.usage}) is not in src/cli/command-index.ts`);
    }
  }
});
