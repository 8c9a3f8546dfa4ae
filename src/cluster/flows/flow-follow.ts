// `ponton observe --all-nodes --follow`, as Hubble Relay's live stream: one NDJSON stream merging
// every Ready node's new records, each with its node's name. Live streams to the nodes open first
// (buffered), then the past records of all nodes are read and sent merged by time, then the buffered
// and further live records follow — each node's records deduplicated by its sequence number, so
// nothing recorded between the two is lost or sent twice. Nodes are re-read every second: a node
// that leaves (NotReady, removed, or its stream breaks) is announced and dropped, the stream goes on;
// a node that becomes Ready joins it.
import http, { type ClientRequest } from "node:http";
import type { FlowRecord } from "../../flows";
import { allNodeFlows, FLOW_PEER_PORT, flowQueryOf, type LocalFlows, type LocalFollow, type NodeFlow } from "./flow-relay";
import type { NodeView } from "../node-view";

export type NodeEvent = { event: "node-joined" | "node-left"; node: string; reason?: string };
export type FollowLine = NodeFlow | NodeEvent;

const RESCAN_MS = 1000;

interface Source {
  stop(): void;
  /** Records arrived before the past was sent (undefined once live). */
  pending: FlowRecord[] | undefined;
  lastSeq: number;
}

/** A peer's live records: GET /v1/flows?follow=1 on its flow port, NDJSON, until either side closes. */
function followPeer(address: string, token: string, search: string, onRecord: (r: FlowRecord) => void, onEnd: (reason: string) => void): ClientRequest {
  const req = http.get({ host: address, port: FLOW_PEER_PORT, path: `/v1/flows?${search}`, headers: { authorization: `Bearer ${token}` } }, (res) => {
    if (res.statusCode !== 200) {
      res.resume();
      onEnd(`HTTP ${res.statusCode}`);
      return;
    }
    let rest = "";
    res.on("data", (d: Buffer) => {
      const lines = (rest + d.toString()).split("\n");
      rest = lines.pop() ?? "";
      for (const l of lines) if (l) onRecord(JSON.parse(l) as FlowRecord);
    });
    res.on("end", () => onEnd("its stream ended"));
    res.on("error", (e) => onEnd(e.message));
  });
  // A dead peer whose namespace vanished never resets the connection: liveness comes from etcd (rescan).
  req.setSocketKeepAlive(true, 1000);
  req.on("error", (e) => onEnd(e.message));
  return req;
}

export class AllNodesFollow {
  private readonly sources = new Map<string, Source>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private live = false;

  constructor(
    private readonly self: string,
    private readonly nodes: () => Promise<NodeView[]>,
    private readonly token: string,
    private readonly local: LocalFlows,
    private readonly localFollow: LocalFollow,
    private readonly params: URLSearchParams,
    private readonly emit: (line: FollowLine) => void,
  ) {}

  /** Open every Ready node's stream, send the merged past, then go live. */
  async start(): Promise<{ unreachable: { node: string; error: string }[] }> {
    const ready = (await this.nodes()).filter((n) => n.status === "Ready");
    for (const n of ready) this.open(n, false);
    const pastParams = new URLSearchParams(this.params);
    pastParams.delete("follow");
    const past = await allNodeFlows(this.self, ready, this.token, this.local, pastParams);
    if (this.stopped) return past;
    for (const r of past.flows) {
      const s = this.sources.get(r.node);
      if (s && r.seq > s.lastSeq) s.lastSeq = r.seq;
      this.emit(r);
    }
    for (const [node, s] of this.sources) {
      const pending = s.pending ?? [];
      s.pending = undefined;
      for (const r of pending) this.deliver(node, s, r);
    }
    this.live = true;
    this.timer = setInterval(() => void this.rescan(), RESCAN_MS);
    return past;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const s of this.sources.values()) s.stop();
    this.sources.clear();
  }

  private deliver(node: string, s: Source, r: FlowRecord): void {
    if (s.pending) {
      s.pending.push(r);
      return;
    }
    if (r.seq <= s.lastSeq) return;
    s.lastSeq = r.seq;
    this.emit({ ...r, node });
  }

  private open(n: NodeView, announce: boolean): void {
    const s: Source = { stop: () => undefined, pending: this.live ? undefined : [], lastSeq: -1 };
    this.sources.set(n.name, s);
    if (announce) this.emit({ event: "node-joined", node: n.name });
    const onRecord = (r: FlowRecord) => this.deliver(n.name, s, r);
    if (n.name === this.self) {
      s.stop = this.localFollow(flowQueryOf(this.params), onRecord);
      return;
    }
    const search = new URLSearchParams(this.params);
    search.set("follow", "1");
    const req = followPeer(n.address, this.token, search.toString(), onRecord, (reason) => this.leave(n.name, s, reason));
    s.stop = () => req.destroy();
  }

  private leave(node: string, s: Source, reason: string): void {
    if (this.stopped || this.sources.get(node) !== s) return;
    this.sources.delete(node);
    s.stop();
    this.emit({ event: "node-left", node, reason });
  }

  private async rescan(): Promise<void> {
    let nodes: NodeView[];
    try {
      nodes = await this.nodes();
    } catch {
      return; // etcd away: keep the streams we have
    }
    if (this.stopped) return;
    const ready = new Map(nodes.filter((n) => n.status === "Ready").map((n) => [n.name, n]));
    for (const [node, s] of [...this.sources]) if (!ready.has(node)) this.leave(node, s, nodes.some((n) => n.name === node) ? "NotReady" : "removed");
    for (const n of ready.values()) if (!this.sources.has(n.name)) this.open(n, true);
  }
}
