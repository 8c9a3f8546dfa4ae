// Where the daemon keeps its state and serves its API; shared by pontond, ponton and ponton-cni.
export const DEFAULT_STATE_DIR = "/var/lib/ponton";
export const DEFAULT_SOCKET = "/run/ponton/ponton.sock";

export function stateDirFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.PONTON_STATE_DIR ?? DEFAULT_STATE_DIR;
}

export function socketFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.PONTON_SOCKET ?? DEFAULT_SOCKET;
}
