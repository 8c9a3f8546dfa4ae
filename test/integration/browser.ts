// Debian's chromium driven by playwright-core, run inside a test host's network namespace so it
// reaches what pontond serves there. No browser is downloaded; the process is killed by PID.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"];

export interface TestBrowser {
  context: BrowserContext;
  /** Screenshots and the like, kept after the test (listed in its output). */
  artefacts: string;
  close(): Promise<void>;
}

/** `netns` undefined: in this namespace (a bench against loopback). */
export async function launchIn(netns: string | undefined, dir: string, name: string): Promise<TestBrowser> {
  // A wrapper as the executable: it records its PID, then becomes chromium (inside the namespace).
  const pidFile = path.join(dir, "chromium.pid");
  const wrapper = path.join(dir, "chromium-in-netns");
  writeFileSync(wrapper, `#!/bin/sh\necho $$ > ${pidFile}\nexec ${netns ? `nsenter --net=/run/netns/${netns} ` : ""}${CHROMIUM} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const profile = mkdtempSync(path.join(dir, "profile-"));
  const artefacts = path.join(os.tmpdir(), `ponton-ui-artefacts-${name}-${process.pid}`);
  mkdirSync(artefacts, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, { executablePath: wrapper, args: FLAGS, headless: true, viewport: { width: 1400, height: 900 } });
  const pid = Number(readFileSync(pidFile, "utf8"));
  return {
    context,
    artefacts,
    async close() {
      await context.close().catch(() => undefined);
      // Playwright starts the browser as a process group leader: its renderers go with it.
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, "SIGKILL");
        } catch {
          // already gone
        }
      }
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
