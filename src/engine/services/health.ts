// Active health checks of service endpoints, run from the daemon (the host namespace reaches
// every bridge). A TCP check is a connect; an HTTP check wants a status below 400.
import http from "node:http";
import net from "node:net";
import type { HealthCheck } from "../../model/services/service";

export function probe(check: HealthCheck, ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      resolve(ok);
    };
    if (check.kind === "tcp") {
      const s = net.connect({ host: ip, port, timeout: check.timeoutMs });
      s.once("connect", () => {
        s.destroy();
        finish(true);
      });
      s.once("timeout", () => {
        s.destroy();
        finish(false);
      });
      s.once("error", () => finish(false));
      return;
    }
    const req = http.get({ host: ip, port, path: check.path ?? "/", timeout: check.timeoutMs, agent: false }, (res) => {
      res.resume();
      finish((res.statusCode ?? 500) < 400);
    });
    req.once("timeout", () => {
      req.destroy();
      finish(false);
    });
    req.once("error", () => finish(false));
  });
}

/** Consecutive-result thresholds (rise/fall), as HAProxy and IPVS keepalived use them. */
export class HealthState {
  healthy = true;
  private streak = 0;

  /** Returns true when the endpoint changed state. */
  record(ok: boolean, check: HealthCheck): boolean {
    if (ok === this.healthy) {
      this.streak = 0;
      return false;
    }
    this.streak++;
    if (this.streak >= (ok ? check.rise : check.fall)) {
      this.healthy = ok;
      this.streak = 0;
      return true;
    }
    return false;
  }
}
