// One table maps every error code to what each surface needs: HTTP status for the API,
// exit code for the CLI, and the CNI error code for ponton-cni (CNI spec 1.1, "Error codes").
export interface CodeInfo {
  http: number;
  exit: number;
  cni: number;
  hint: string;
}

export const ERROR_CODES = {
  INVALID_ARGUMENT: { http: 400, exit: 2, cni: 7, hint: "check the value and run the command again" },
  INVALID_CIDR: { http: 400, exit: 2, cni: 7, hint: "give a network like 172.20.0.0/16 or fd00:1::/64" },
  INVALID_NAME: { http: 400, exit: 2, cni: 7, hint: "names are 1-63 characters: letters, digits, '-', '_', '.'" },
  INVALID_PORT: { http: 400, exit: 2, cni: 7, hint: "ports look like [hostIP:]hostPort[-end]:containerPort[-end][/tcp|udp]" },
  PAYLOAD_TOO_LARGE: { http: 413, exit: 2, cni: 7, hint: "send less: a request body is at most 4 MiB" },
  INVALID_YAML: { http: 400, exit: 2, cni: 6, hint: "fix the file; nothing was applied" },
  POLICY_INVALID: { http: 400, exit: 2, cni: 7, hint: "fix the NetworkPolicy at the field named; nothing was applied" },
  POLICY_NOT_IMPLEMENTED: { http: 400, exit: 2, cni: 7, hint: "remove the field named (Ponton does not enforce it yet); nothing was applied" },
  SUBNET_OVERLAP: { http: 409, exit: 3, cni: 7, hint: "pick a subnet that no network or host route uses" },
  POOL_EXHAUSTED: { http: 409, exit: 3, cni: 11, hint: "free a network, or widen the default pool with --default-pool / PONTON_DEFAULT_POOL" },
  ADDRESS_OUT_OF_SUBNET: { http: 400, exit: 2, cni: 7, hint: "pick an address inside the network's subnet" },
  FAMILY_UNAVAILABLE: { http: 400, exit: 2, cni: 7, hint: "the daemon has no service range of that IP family" },
  ADDRESS_IN_USE: { http: 409, exit: 3, cni: 7, hint: "pick another address or remove the workload that holds it" },
  SUBNET_FULL: { http: 409, exit: 3, cni: 11, hint: "the network has no free address; remove workloads or use a larger subnet" },
  BRIDGE_PORT_LIMIT: { http: 409, exit: 3, cni: 11, hint: "a Linux bridge holds at most 1,023 workloads (BR_MAX_PORTS): put the others on another network, or make the network with --driver routed (no bridge, no port limit)" },
  HOST_LIMIT: { http: 409, exit: 3, cni: 11, hint: "a machine-wide limit was reached (the message names it); Ponton does not raise machine-wide settings itself: raise it, or run fewer workloads" },
  PORT_IN_USE: { http: 409, exit: 3, cni: 7, hint: "another workload or a host process holds this host port; pick another" },
  PORT_RANGE_TOO_LARGE: { http: 400, exit: 2, cni: 7, hint: "publish a smaller range, or raise pontond --max-port-range" },
  PRIVILEGED_PORT_RANGE: { http: 400, exit: 2, cni: 7, hint: "a range below 1024 needs --privileged-ranges; single ports need nothing" },
  HOST_ADDRESS_NOT_LOCAL: { http: 400, exit: 2, cni: 7, hint: "publish on an address this host has ('ip addr'), or on 0.0.0.0 / [::]" },
  RESERVED: { http: 409, exit: 3, cni: 7, hint: "the built-in service default/kubernetes and its VIP are Ponton's: choose another name or VIP" },
  NAME_IN_USE: { http: 409, exit: 3, cni: 7, hint: "remove the existing object or choose another name" },
  NETWORK_NOT_FOUND: { http: 404, exit: 4, cni: 7, hint: "list networks with 'ponton network ls'" },
  WORKLOAD_NOT_FOUND: { http: 404, exit: 4, cni: 7, hint: "list workloads with 'ponton ls'" },
  TEMPLATE_NOT_FOUND: { http: 404, exit: 4, cni: 7, hint: "list templates with 'ponton template ls'" },
  NOT_FOUND: { http: 404, exit: 4, cni: 7, hint: "check the name" },
  NAMESPACE_NOT_EMPTY: { http: 409, exit: 3, cni: 7, hint: "remove its workloads, templates, services and policies first, or use --force to remove them with it" },
  NETWORK_IN_USE: { http: 409, exit: 3, cni: 7, hint: "remove or disconnect its workloads first (or use --force)" },
  ALREADY_CONNECTED: { http: 409, exit: 3, cni: 7, hint: "the workload is already on that network" },
  NOT_CONNECTED: { http: 409, exit: 3, cni: 7, hint: "the workload is not on that network" },
  UI_TOKEN_REQUIRED: { http: 400, exit: 2, cni: 7, hint: "give --ui-token (at least 16 characters) or listen on a loopback address" },
  TOO_MANY_STREAMS: { http: 429, exit: 3, cni: 7, hint: "close another page of the UI, or raise pontond --ui-max-streams" },
  UNAUTHORIZED: { http: 401, exit: 2, cni: 7, hint: "open the UI with ?token=TOKEN once, or send 'Authorization: Bearer TOKEN'" },
  CLI_IN_CLIENT: { http: 422, exit: 2, cni: 7, hint: "run it with the Node CLI: bin/ponton does so by itself (docs/cli.md, \"Fast path\")" },
  UNSUPPORTED: { http: 400, exit: 2, cni: 7, hint: "this option is not supported" },
  KERNEL_ERROR: { http: 500, exit: 5, cni: 11, hint: "see the message; the operation was rolled back" },
  STORE_UNAVAILABLE: { http: 503, exit: 6, cni: 11, hint: "the cluster store (etcd) is unreachable; nothing was changed — try again when it answers" },
  NOT_IN_CLUSTER: { http: 400, exit: 2, cni: 7, hint: "start pontond with --cluster http://ETCD:2379 --node-name NAME" },
  CLUSTER_CONFIG_MISMATCH: { http: 409, exit: 3, cni: 7, hint: "start the node with the cluster's settings; every node must agree" },
  NODE_NOT_FOUND: { http: 404, exit: 4, cni: 7, hint: "list the cluster's nodes with 'ponton node ls'" },
  NODE_NOT_READY: { http: 409, exit: 3, cni: 11, hint: "the node's pontond is not running or not reachable on its node address (port 4244); start it, or place the workload on a Ready node" },
  NODE_READY: { http: 409, exit: 3, cni: 7, hint: "stop the node's pontond first; a Ready node cannot be forgotten" },
  DAEMON_UNAVAILABLE: { http: 503, exit: 6, cni: 11, hint: "start the daemon with 'pontond' (or 'ponton daemon')" },
  PRIVATE_MOUNT_NAMESPACE: { http: 500, exit: 2, cni: 999, hint: "start pontond with 'nsenter --net=/run/netns/NAME pontond …', not 'ip netns exec'" },
  BUILD_INCOMPLETE: { http: 500, exit: 1, cni: 999, hint: "run 'npm run build' in the Ponton checkout (needs g++, make, python3 and Node's headers)" },
  INTERNAL: { http: 500, exit: 1, cni: 999, hint: "this is a bug; please report it with the daemon log" },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function codeInfo(code: string): CodeInfo {
  return (ERROR_CODES as Record<string, CodeInfo>)[code] ?? ERROR_CODES.INTERNAL;
}
