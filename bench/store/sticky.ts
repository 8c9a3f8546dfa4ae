// The store's cost of one `run` + `rm` pair (attachment, sticky record, release and trim of the
// sticky table) with 0 or 10,000 names in use on the network and STICKY_KEEP released ones, and the
// table's size after 5,000 names came and went. Prints figures; asserts nothing.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SqliteStore, STICKY_KEEP } from "../../src/store/sqlite-store";
import type { Network, Workload } from "../../src/model/types";

const net: Network = { id: "n", name: "n", driver: "bridge", bridge: "b", subnet4: "10.0.0.0/8", gateway4: "10.0.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const workload = (i: number): Workload => ({ id: `w${i}`, name: `x${i}`, labels: {}, netnsMode: "owned", netns: "", command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" });

function add(s: SqliteStore, i: number): void {
  s.transaction(() => {
    s.putWorkload(workload(i));
    s.putAttachment({ workloadId: `w${i}`, networkId: "n", ifname: "eth0", hostIfname: "h", mac: "m", ip4: ip(i), index: 0 });
    s.setSticky("n", `x${i}`, 4, ip(i));
  });
}
const remove = (s: SqliteStore, i: number) => s.transaction(() => s.deleteWorkload(`w${i}`));

function measure(inUse: number): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ponton-bench-sticky-"));
  const s = new SqliteStore(path.join(dir, "ponton.db"), { synchronous: "NORMAL" });
  try {
    s.putNetwork(net);
    for (let i = 1; i <= inUse; i++) add(s, i);
    let next = 100_000;
    for (let k = 0; k < 5_000; k++, next++) {
      add(s, next);
      remove(s, next);
    }
    const pairs = 500;
    const t = process.hrtime.bigint();
    for (let k = 0; k < pairs; k++, next++) {
      add(s, next);
      remove(s, next);
    }
    const ms = Number(process.hrtime.bigint() - t) / 1e6 / pairs;
    console.log(`| ${inUse.toLocaleString("en")} | ${ms.toFixed(2)} ms | ${s.stickyAddresses("n").size.toLocaleString("en")} (in use + ${STICKY_KEEP} kept) |`);
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log("| names in use | run+rm pair (store only) | sticky records after 5,500 names came and went |\n|---|---|---|");
measure(0);
measure(10_000);
