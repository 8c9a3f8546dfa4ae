// Pure: Docker's `network create -o KEY=VALUE` driver options, each mapped to Ponton's own network
// setting, so commands written for Docker work as written. A key with no Ponton setting is refused
// naming the key (never silently dropped); so is an option that contradicts a flag given with it.
import { EngineError } from "../../errors";
import type { DeclaredNetwork } from "../project/project-file";

type Mapped = Pick<DeclaredNetwork, "mtu" | "masquerade" | "icc" | "parent" | "mode" | "gatewayMode">;

const BRIDGE = "com.docker.network.bridge.";

function bool(key: string, v: string): boolean {
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new EngineError("INVALID_ARGUMENT", `option ${key}: '${v}' is not true or false`);
}

function integer(key: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new EngineError("INVALID_ARGUMENT", `option ${key}: '${v}' is not a number`);
  return Number(v);
}

/** Docker's gateway modes that Ponton has: nat and routed (nat-unprotected and isolated it has not). */
function gatewayMode(key: string, v: string): string {
  if (v === "nat" || v === "routed") return v;
  throw new EngineError("UNSUPPORTED", `option ${key}: gateway mode '${v}' is not supported (Ponton has nat and routed)`);
}

/** Keys Docker knows that Ponton refuses on purpose, with what to do instead. */
const REFUSED: Record<string, string> = {
  [`${BRIDGE}name`]: "Ponton names its bridges pbr-… itself (its repair watcher knows its links by that prefix)",
  [`${BRIDGE}host_binding_ipv4`]: "Ponton has no per-network default host address: publish on an address with -p IP:HOSTPORT:PORT",
  [`${BRIDGE}default_bridge`]: "the default network is Ponton's built-in `bridge`",
};

/**
 * The settings `options` stand for. `driver` picks which of macvlan_mode / ipvlan_mode apply;
 * `given` holds the flags given beside them (an option may repeat a flag, never contradict it).
 */
export function dockerNetworkOptions(options: Record<string, unknown>, driver: string | undefined, given: Partial<DeclaredNetwork> = {}): Mapped {
  const out: Mapped = {};
  const set = <K extends keyof Mapped>(key: string, field: K, value: NonNullable<Mapped[K]>) => {
    const flag = given[field];
    if (flag !== undefined && flag !== value) {
      throw new EngineError("INVALID_ARGUMENT", `option ${key}=${String(value)} contradicts ${field} ${String(flag)} given with it`);
    }
    const before = out[field];
    if (before !== undefined && before !== value) throw new EngineError("INVALID_ARGUMENT", `option ${key}=${String(value)} contradicts another option that set ${field} ${String(before)}`);
    out[field] = value;
  };
  for (const [key, raw] of Object.entries(options)) {
    const v = String(raw);
    if (REFUSED[key]) throw new EngineError("UNSUPPORTED", `option ${key} is not supported: ${REFUSED[key]}`);
    switch (key) {
      case "com.docker.network.driver.mtu":
        set(key, "mtu", integer(key, v));
        break;
      case `${BRIDGE}enable_ip_masquerade`:
        set(key, "masquerade", bool(key, v));
        break;
      case `${BRIDGE}enable_icc`:
        set(key, "icc", bool(key, v));
        break;
      case `${BRIDGE}gateway_mode_ipv4`:
      case `${BRIDGE}gateway_mode_ipv6`:
        // One gateway mode serves both families here: the two keys must agree.
        set(key, "gatewayMode", gatewayMode(key, v));
        break;
      case "parent":
        set(key, "parent", v);
        break;
      case "macvlan_mode":
      case "ipvlan_mode":
        if (driver !== key.split("_")[0]) throw new EngineError("INVALID_ARGUMENT", `option ${key} applies to the ${key.split("_")[0]} driver only`);
        set(key, "mode", v);
        break;
      default:
        throw new EngineError("UNSUPPORTED", `network option ${key} is not supported`, {
          hint: "supported: com.docker.network.driver.mtu, com.docker.network.bridge.enable_ip_masquerade, enable_icc, gateway_mode_ipv4/ipv6, parent, macvlan_mode, ipvlan_mode (docs/networks.md)",
        });
    }
  }
  return out;
}
