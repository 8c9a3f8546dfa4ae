// What one workload change costs the DNS sync (engine/dns/dns.ts): views and client index, the
// workload records of every view, and SentViews' diff against what was sent; pure, no server.
// W workloads on 10 networks; "mixed": every 7th on a second network and every 10th in namespace
// `team` (so the combined views of issue 15 exist). Run: node dist/bench/dns/view-sync.js [W]
import { sharedGroups, viewIndex, workloadRecords } from "../../src/engine/dns/dns-records";
import { PodGroupIndex } from "../../src/engine/dns/dns-pod-groups";
import { SentViews } from "../../src/engine/dns/dns-sent-views";
import type { Attachment, DesiredState, Network, Workload } from "../../src/model/types";

const W = Number(process.argv[2] ?? 1000);
const networks: Network[] = Array.from({ length: 10 }, (_, i) => ({ id: `n${i}`, name: `net${i}`, driver: "bridge", bridge: `b${i}`, subnet4: `10.${i}.0.0/16`, gateway4: `10.${i}.0.1`, internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" }));

function state(count: number, mixed: boolean): DesiredState {
  const workloads: Workload[] = Array.from({ length: count }, (_, i) => ({ id: `w${i}`, name: `w${i}`, labels: {}, netnsMode: "owned", netns: "x", command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "", ...(mixed && i % 10 === 0 ? { namespace: "team" } : {}) }));
  const attachments: Attachment[] = [];
  workloads.forEach((w, i) => {
    attachments.push({ workloadId: w.id, networkId: `n${i % 10}`, ifname: "eth0", hostIfname: "", mac: "", ip4: `10.${i % 10}.${Math.floor(i / 250)}.${(i % 250) + 2}`, index: 0 });
    if (mixed && i % 7 === 0) attachments.push({ workloadId: w.id, networkId: `n${(i + 1) % 10}`, ifname: "eth1", hostIfname: "", mac: "", ip4: `10.${(i + 1) % 10}.9.${(i % 250) + 2}`, index: 1 });
  });
  return { networks, workloads, attachments, userRules: [], services: [] };
}

for (const mixed of [false, true]) {
  const sent = new SentViews<object>();
  const pods = new PodGroupIndex();
  const sync = (s: DesiredState) => {
    viewIndex(s);
    return sent.next(workloadRecords(s, "ponton.internal"), sharedGroups(s, undefined, pods.update(s)));
  };
  for (let k = 0; k < 10; k++) sync(state(W - (k % 2), mixed));
  const rounds = 40;
  let names = 0;
  const t = process.hrtime.bigint();
  for (let k = 0; k < rounds; k++) for (const m of sync(state(W - (k % 2), mixed)).updated.values()) names += m.size;
  const ms = Number(process.hrtime.bigint() - t) / 1e6 / rounds;
  console.log(`${mixed ? "mixed " : "single"} W=${W}: ${ms.toFixed(1)} ms per sync (one workload added or removed), ${(names / rounds).toFixed(0)} names sent`);
}
