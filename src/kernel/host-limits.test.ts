import { test } from "node:test";
import assert from "node:assert/strict";
import { hostLimitOf } from "./host-limits";

test("ip netns add's ENOSPC names the machine limit it hit: the namespace count at unshare, the mount count at the bind", () => {
  // iproute2's own wording (ip/ipnetns.c), as the executor passes it on.
  assert.equal(hostLimitOf('ip -batch -: Failed to create a new network namespace "p-w1": No space left on device')?.limit, "user.max_net_namespaces");
  assert.equal(hostLimitOf("ip -batch -: Bind /proc/self/ns/net -> /run/netns/p-w1 failed: No space left on device")?.limit, "fs.mount-max");
  assert.equal(hostLimitOf("mount --bind /run/netns /run/netns failed: No space left on device")?.limit, "fs.mount-max");
  assert.match(hostLimitOf('Failed to create a new network namespace "x": No space left on device')!.hint, /sysctl -w user\.max_net_namespaces/);
});

test("open files: the process's own limit and the machine's are told apart", () => {
  assert.equal(hostLimitOf("spawn ip EMFILE")?.limit, "RLIMIT_NOFILE");
  assert.match(hostLimitOf("socket: Too many open files")!.hint, /LimitNOFILE=/);
  assert.equal(hostLimitOf("open: Too many open files in system")?.limit, "fs.file-max");
});

test("other failures are not a machine limit (they stay KERNEL_ERROR)", () => {
  assert.equal(hostLimitOf("RTNETLINK answers: Exchange full"), undefined);
  assert.equal(hostLimitOf("RTNETLINK answers: File exists"), undefined);
  assert.equal(hostLimitOf("write /var/lib/x: No space left on device"), undefined);
});
