// Machine-wide limits that thousands of workloads reach, and that Ponton must not raise by itself
// (they are the machine's, not its host namespace's): the open-file limit of pontond, the number of
// network namespaces (user.max_net_namespaces) and of mounts per mount namespace (fs.mount-max: each
// named namespace is a bind mount under /run/netns). Hitting one is told as HOST_LIMIT naming the
// limit and how to raise it.

export interface HostLimit {
  /** The limit's name as a user sets it (a sysctl or a resource limit). */
  limit: string;
  hint: string;
}

/** How to raise pontond's open-file limit (nothing of it grows with the workloads: ponton-watch reads every namespace through one socket). */
const NOFILE_HINT = "raise the hard limit of open files for pontond (LimitNOFILE= in its systemd unit, or 'ulimit -Hn N' before starting it)";

/**
 * Which machine limit a failed command's message names, if any (iproute2 / spawn wording).
 * `ip netns add` fails with ENOSPC at unshare when user.max_net_namespaces is reached, and at the
 * bind mount when the mount namespace holds fs.mount-max mounts.
 */
export function hostLimitOf(message: string): HostLimit | undefined {
  if (/No space left on device/.test(message)) {
    if (/Failed to create a new network namespace|unshare/i.test(message)) {
      return { limit: "user.max_net_namespaces", hint: "raise the sysctl user.max_net_namespaces (a machine-wide setting Ponton leaves alone): 'sysctl -w user.max_net_namespaces=N'" };
    }
    if (/Bind \/proc\/self\/ns\/net|mount/i.test(message)) {
      return { limit: "fs.mount-max", hint: "raise the sysctl fs.mount-max (mounts per mount namespace; each named network namespace is one): 'sysctl -w fs.mount-max=N'" };
    }
  }
  if (/Too many open files in system|ENFILE/.test(message)) return { limit: "fs.file-max", hint: "raise the sysctl fs.file-max (open files on the whole machine)" };
  if (/Too many open files|EMFILE/.test(message)) return { limit: "RLIMIT_NOFILE", hint: NOFILE_HINT };
  if (/spawn \S+ EAGAIN|Resource temporarily unavailable.*fork|fork.*Resource temporarily unavailable/.test(message)) {
    return { limit: "kernel.pid_max / RLIMIT_NPROC", hint: "too many processes: raise the sysctl kernel.pid_max or pontond's 'ulimit -u'" };
  }
  return undefined;
}
