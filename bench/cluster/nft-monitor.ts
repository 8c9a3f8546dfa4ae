// `nft monitor` in a node's namespace, timing the moment a line matching a test appears (when a
// change reached that node's kernel), for the cluster benches.
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

export function nftMonitor(ns: string) {
  const child = spawn("nsenter", [`--net=/run/netns/${ns}`, "nft", "monitor"], { stdio: ["ignore", "pipe", "ignore"] });
  let waiters: { test: (l: string) => boolean; done: (t: number) => void }[] = [];
  let buf = "";
  child.stdout.on("data", (d: Buffer) => {
    const t = performance.now();
    buf += d.toString();
    const lines = buf.split("\n");
    buf = lines.pop()!;
    for (const l of lines) waiters = waiters.filter((w) => (w.test(l) ? (w.done(t), false) : true));
  });
  return {
    when: (test: (l: string) => boolean) => new Promise<number>((done) => waiters.push({ test, done })),
    close: () => child.kill("SIGKILL"),
  };
}
