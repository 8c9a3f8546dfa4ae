// Which command lines pontond may run for bin/ponton-client: only those whose whole input is argv.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fastPathRefusal } from "./fast-path";
import { GROUPS, TOP } from "./command-index";

const served = async (...argv: string[]) => (await fastPathRefusal(argv)) === undefined;

test("the hot commands and their errors are served", async () => {
  for (const argv of [
    [], ["--help"], ["ls"], ["ls", "-o", "json"], ["--socket", "/s", "ls"], ["--socket=/s", "inspect", "w"],
    ["run", "--name", "w", "--network", "n", "-p", "80"], ["rm", "-f", "w"], ["network", "ls"], ["network"], ["network", "bogus"],
    ["bogus"], ["ls", "--bogus"], ["policy"],
  ]) assert.ok(await served(...argv), argv.join(" "));
  // A program's own options after the command are its arguments, not ours.
  assert.ok(await served("run", "--name", "w", "--", "sh", "-c", "cat -f /etc/shadow --env-file x"));
  assert.ok(await served("run", "--name", "w", "tail", "-f", "/etc/shadow"));
});

test("files, stdin, streams, a tty, programs on the client's side and the daemon itself are refused", async () => {
  for (const argv of [
    ["daemon"], ["--socket", "/s", "daemon", "--state-dir", "/tmp"],
    ["exec", "w", "--", "id"], ["logs", "w"], ["logs", "-f", "w"], ["observe"], ["observe", "--follow"],
    ["up", "f.yaml"], ["down", "f.yaml"],
    ["policy", "apply", "-f", "/etc/shadow"], ["policy", "apply", "-f", "-"], ["policy", "log", "--follow"],
    ["service", "apply", "-f", "x"], ["lb-pool", "apply", "-f", "x"], ["bgp", "apply", "-f", "x"],
    ["run", "--name", "w", "--netns", "/proc/1/ns/net"],
  ]) assert.notEqual(await fastPathRefusal(argv), undefined, argv.join(" "));
});

test("every indexed command is either served or refused on purpose (a new one is refused until listed)", async () => {
  const refusedTop = Object.keys(TOP).filter((v) => !["run", "ls", "inspect", "stop", "start", "rm", "label", "scale", "info", "reconcile"].includes(v));
  for (const v of refusedTop) assert.notEqual(await fastPathRefusal([v]), undefined, v);
  for (const [g, load] of Object.entries(GROUPS)) {
    for (const sub of Object.keys(await load())) {
      const r = await fastPathRefusal([g, sub]);
      if (r !== undefined) assert.match(r, /runs in the client/, `${g} ${sub}`);
    }
  }
  // A command with a FILE or PATH option is refused when that option is given.
  assert.match((await fastPathRefusal(["run", "--name", "w", "--netns", "x"]))!, /--netns/);
});
