import { test } from "node:test";
import assert from "node:assert/strict";
import { BRIDGE_MAX_PORTS, checkBridgePorts, checkNamespaceRoom, OPEN_FILES_RESERVED } from "./limits";
import { EngineError } from "../errors";

test("a bridge takes 1,023 workloads; the 1,024th is refused with a code naming the limit and the way past it (--driver routed)", () => {
  assert.equal(BRIDGE_MAX_PORTS, 1023);
  checkBridgePorts("big", 0);
  checkBridgePorts("big", 1022);
  assert.throws(
    () => checkBridgePorts("big", 1023),
    (e: unknown) => e instanceof EngineError && e.code === "BRIDGE_PORT_LIMIT" && /network big holds 1023 workloads/.test(e.message) && /--driver routed/.test(e.hint),
  );
});

test("a workload namespace past what the open-file hard limit leaves for the watcher is refused with HOST_LIMIT naming RLIMIT_NOFILE", () => {
  checkNamespaceRoom(0, 1024, "raise it");
  checkNamespaceRoom(1024 - OPEN_FILES_RESERVED - 1, 1024, "raise it");
  checkNamespaceRoom(10_000, Infinity, "raise it");
  assert.throws(
    () => checkNamespaceRoom(1024 - OPEN_FILES_RESERVED, 1024, "raise it"),
    (e: unknown) => e instanceof EngineError && e.code === "HOST_LIMIT" && /RLIMIT_NOFILE hard limit 1024/.test(e.message) && e.hint === "raise it",
  );
  assert.throws(() => checkNamespaceRoom(0, 100, "raise it"), (e: unknown) => e instanceof EngineError && e.code === "HOST_LIMIT");
});
