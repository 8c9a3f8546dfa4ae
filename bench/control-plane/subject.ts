// What the runner needs from each system under measurement.

/** One timed operation; `parts` splits it per process (e.g. bridge vs portmap) when useful. */
export interface OpResult {
  ms: number;
  parts?: Record<string, number>;
}

/** How to run a command inside workload i's namespace (argv prefix). */
export interface Endpoint {
  exec: string[];
}

export interface Subject {
  /** Stable id used by --only and in last-run.json. */
  readonly id: string;
  readonly label: string;
  /** The namespace playing the host for this subject (exists after setup). */
  readonly hostNs: string;
  /** Untimed: host namespace, bridge, workload namespaces for indices 0..count. */
  setup(count: number): Promise<void>;
  /** Workload i publishes hostPort 20000+i -> containerPort 80/tcp. Throws on failure. */
  add(i: number): Promise<OpResult>;
  del(i: number): Promise<OpResult>;
  endpoint(i: number): Promise<Endpoint>;
  /** Untimed; must be safe after a partial setup. */
  teardown(): Promise<void>;
  /** Facts a reader needs to interpret the row (what is and is not inside the timing). */
  readonly notes: string[];
}

export const CONTAINER_PORT = 80;
export const hostPort = (i: number): number => 20000 + i;

/** 10.x.y.z for host number k inside a /16 (k=1 is the gateway). */
export function ipIn16(base: string, k: number): string {
  const [a, b] = base.split(".");
  return `${a}.${b}.${k >> 8}.${k & 255}`;
}

/** Holds the undo steps a subject's setup registered, so teardown releases them at once
 *  (the global cleanup stack still covers an interrupted run). */
export class Undos {
  private readonly steps: Array<() => Promise<void>> = [];

  push(undo: () => Promise<void>): void {
    this.steps.push(undo);
  }

  async runAll(): Promise<void> {
    while (this.steps.length) await this.steps.pop()!();
  }
}
