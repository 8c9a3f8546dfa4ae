import { test } from "node:test";
import assert from "node:assert/strict";
import { mountsPropagate, parseMountInfo } from "./mount-namespace";

// Lines as /proc/PID/mountinfo prints them.
const INIT = [
  "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
  "45 27 0:30 / /run rw,nosuid shared:12 - tmpfs tmpfs rw",
  "60 45 0:30 /netns /run/netns rw shared:40 - tmpfs tmpfs rw",
  "61 60 0:4 net:[4026532174] /run/netns/a rw shared:41 - nsfs nsfs rw",
].join("\n");

test("mountinfo: mount points (octal escapes decoded) and shared peer groups", () => {
  assert.deepEqual(parseMountInfo("70 27 0:50 / /mnt/with\\040space rw master:3 - tmpfs x rw\n60 45 0:30 /netns /run/netns rw shared:40 propagate_from:2 - tmpfs tmpfs rw"), [
    { id: 70, mountPoint: "/mnt/with space" },
    { id: 60, mountPoint: "/run/netns", sharedGroup: 40 },
  ]);
});

test("a peer of init's /run/netns propagates; `ip netns exec` (slave) and `unshare -m` (private) do not", () => {
  // nsenter --net only, or a namespace whose /run/netns is still shared with init's.
  assert.equal(mountsPropagate("160 150 0:30 /netns /run/netns rw shared:40 - tmpfs tmpfs rw", INIT), true);
  // ip netns exec: unshare(CLONE_NEWNS) then / made rslave.
  assert.equal(mountsPropagate("160 150 0:30 /netns /run/netns rw master:40 - tmpfs tmpfs rw", INIT), false);
  // unshare -m: private.
  assert.equal(mountsPropagate("160 150 0:30 /netns /run/netns rw - tmpfs tmpfs rw", INIT), false);
  // A slave made shared again (systemd's PrivateTmp=): its own peer group, unknown to init.
  assert.equal(mountsPropagate("160 150 0:30 /netns /run/netns rw shared:90 master:40 - tmpfs tmpfs rw", INIT), false);
});

test("init's own mount namespace (same root mount id) is fine even where nothing is shared (a container)", () => {
  const container = ["27 1 254:0 / / rw,relatime - ext4 /dev/vda rw", "22 27 0:21 / /proc rw - proc proc rw"].join("\n");
  assert.equal(mountsPropagate(container, container), true);
  // ip netns exec in that container: a copy, new ids, /run/netns a slave of init's.
  assert.equal(mountsPropagate(["92 89 254:0 / / rw - ext4 /dev/vda rw", "166 92 254:0 /run/netns /run/netns rw master:1 - ext4 /dev/vda rw"].join("\n"), container), false);
});

test("without a /run/netns mount yet, the mount holding it decides (the deepest, the last of stacked ones)", () => {
  const own = ["127 1 254:0 / / rw shared:1 - ext4 /dev/vda rw", "145 127 0:30 / /run rw - tmpfs tmpfs rw", "146 127 0:31 / /run rw shared:12 - tmpfs tmpfs rw", "147 127 0:32 / /runx rw - tmpfs tmpfs rw"].join("\n");
  assert.equal(mountsPropagate(own, INIT), true, "/run (stacked, shared:12) holds /run/netns; /runx does not");
  assert.equal(mountsPropagate("127 1 254:0 / / rw shared:1 - ext4 /dev/vda rw", INIT), true, "/ shared with init");
  assert.equal(mountsPropagate("127 1 254:0 / / rw master:1 - ext4 /dev/vda rw", INIT), false);
});
