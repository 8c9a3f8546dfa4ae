import assert from "node:assert/strict";
import * as dgram from "node:dgram";
import { test } from "node:test";
import { boundInodes, findPortHolder, procNetAddress } from "./port-holder";

test("addresses as /proc/net prints them", () => {
  assert.equal(procNetAddress("127.0.0.1"), "0100007F");
  assert.equal(procNetAddress("10.88.0.1"), "0100580A");
  assert.equal(procNetAddress("::1"), "00000000000000000000000001000000");
  assert.equal(procNetAddress("fd00:40::1"), "400000FD000000000000000001000000");
});

test("sockets bound to the port on the address or a wildcard; TCP only when listening", () => {
  const table = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100580A:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 111 2 0",
    "   1: 00000000:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0",
    "   2: 0200580A:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 333 2 0",
    "   3: 0100580A:0036 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 444 2 0",
    "   4: 0100580A:0035 0200580A:C000 01 00000000:00000000 00:00000000 00000000     0        0 555 2 0",
  ].join("\n");
  assert.deepEqual(boundInodes(table, "10.88.0.1", 53), [111, 222]);
});

test("finds this process holding a UDP port on loopback", async () => {
  const sock = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", () => resolve()));
  try {
    const holder = await findPortHolder("127.0.0.1", sock.address().port);
    assert.equal(holder?.pid, process.pid);
    assert.equal(holder?.command, "node");
    assert.equal(await findPortHolder("127.0.0.1", 1), undefined);
  } finally {
    sock.close();
  }
});
