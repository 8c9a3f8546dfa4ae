// The state directory holds secrets: workloads' `-e` values in the database, their output in the
// logs. Its files are root's alone whatever umask pontond was started with, and files an older
// pontond left with wider modes are narrowed at start.
import { chmodSync, closeSync, existsSync, fchmodSync, mkdirSync, openSync, readdirSync } from "node:fs";
import path from "node:path";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Makes `dir` (and missing parents) and sets its mode to 0700 even when it existed. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/** privateDir, and every file already in it (logs an older pontond wrote) made 0600. */
export function privateFilesDir(dir: string): void {
  privateDir(dir);
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isFile()) chmodSync(path.join(dir, e.name), PRIVATE_FILE_MODE);
}

/** Opens (creating if needed) a file that only its owner can read: 0600, set on the open fd. */
export function openPrivate(file: string, flags: "a" | "a+"): number {
  const fd = openSync(file, flags, PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}

/**
 * The SQLite database is made 0600 before SQLite opens it: SQLite gives its -wal and -shm files
 * the database's mode (and fchmods them to it, whatever the umask). Existing ones are narrowed.
 */
export function privateDatabase(file: string): void {
  closeSync(openPrivate(file, "a"));
  for (const f of [`${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, PRIVATE_FILE_MODE);
}
