import { test } from "node:test";
import assert from "node:assert/strict";
import { boundInodes, describeOwners } from "./socket-owner";

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F41 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:1F42 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0
`;

test("the listening socket's inode of a port, not its connections' (/proc/net/tcp format)", () => {
  assert.deepEqual([...boundInodes(TCP, 8001, true)], ["111"]);
  assert.deepEqual([...boundInodes(TCP, 8001, false)], ["111", "222"]);
  assert.deepEqual([...boundInodes(TCP, 8003, true)], []);
  assert.equal(describeOwners([{ pid: 12, command: "nginx" }]), "nginx (pid 12)");
});
