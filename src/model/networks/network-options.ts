// Pure validation of a network's driver, parent, mode, MTU, default-route and gateway options.
import { EngineError } from "../../errors";
import type { GatewayMode } from "../types";

export type UserDriver = "bridge" | "routed" | "macvlan" | "ipvlan";
/** Drivers whose workloads hang from a parent interface (no host end of ours). */
export type SubInterfaceDriver = Exclude<UserDriver, "bridge" | "routed">;

/** Linux accepts 68 (RFC 791's minimum) up to 65535 on these links; IPv6 needs 1280 (RFC 8200). */
export const MTU_MIN = 68;
export const MTU_MAX = 65535;
export const MTU_MIN_IPV6 = 1280;
/** What a network gets when the host has no default route to copy the MTU from. */
export const MTU_FALLBACK = 1500;

const MODES: Record<SubInterfaceDriver, readonly string[]> = {
  macvlan: ["bridge", "private", "vepa", "passthru"],
  ipvlan: ["l2", "l3"],
};

export function parseDriver(driver: unknown): UserDriver {
  if (driver === undefined || driver === "bridge") return "bridge";
  if (driver === "routed" || driver === "macvlan" || driver === "ipvlan") return driver;
  throw new EngineError("UNSUPPORTED", `driver '${String(driver)}' is not supported`, {
    hint: "user networks use the bridge, routed, macvlan or ipvlan driver; 'host' and 'none' are built in",
  });
}

/** The sub-interface mode: Docker's defaults (macvlan bridge, ipvlan l2) when none is given. */
export function parseMode(driver: UserDriver, mode: unknown): string | undefined {
  if (driver === "bridge" || driver === "routed") {
    if (mode !== undefined) throw new EngineError("INVALID_ARGUMENT", "--mode applies to macvlan and ipvlan networks only");
    return undefined;
  }
  const allowed = MODES[driver];
  if (mode === undefined) return allowed[0];
  if (typeof mode === "string" && allowed.includes(mode)) return mode;
  throw new EngineError("INVALID_ARGUMENT", `${driver} mode '${String(mode)}' is not one of ${allowed.join(", ")}`);
}

/** A parent `IF` or, as Docker writes an 802.1Q sub-interface, `IF.VLAN` (VLAN 1..4094). */
export interface ParentSpec {
  name: string;
  vlan?: { link: string; id: number };
}

export function parseParent(driver: UserDriver, parent: unknown): ParentSpec | undefined {
  if (driver === "bridge" || driver === "routed") {
    if (parent !== undefined) throw new EngineError("INVALID_ARGUMENT", "--parent applies to macvlan and ipvlan networks only");
    return undefined;
  }
  if (typeof parent !== "string" || parent === "") {
    throw new EngineError("INVALID_ARGUMENT", `a ${driver} network needs --parent IF (the host interface on the segment)`);
  }
  if (Buffer.byteLength(parent) > 15 || !/^[^\s/:]+$/.test(parent) || parent === "." || parent === "..") {
    throw new EngineError("INVALID_ARGUMENT", `parent '${parent}' is not an interface name (at most 15 bytes, no space, '/' or ':')`);
  }
  const m = /^(.+)\.(\d+)$/.exec(parent);
  if (!m) return { name: parent };
  const id = Number(m[2]);
  if (id < 1 || id > 4094) throw new EngineError("INVALID_ARGUMENT", `VLAN id ${m[2]} of parent ${parent} is outside 1..4094`);
  return { name: parent, vlan: { link: m[1]!, id } };
}

/** `max` is the parent's MTU for sub-interfaces (they cannot be larger). */
export function validateMtu(mtu: unknown, opts: { ipv6: boolean; max?: { mtu: number; of: string } }): number {
  if (typeof mtu !== "number" || !Number.isInteger(mtu) || mtu < MTU_MIN || mtu > MTU_MAX) {
    throw new EngineError("INVALID_ARGUMENT", `MTU ${String(mtu)} is outside ${MTU_MIN}..${MTU_MAX}`);
  }
  if (opts.ipv6 && mtu < MTU_MIN_IPV6) {
    throw new EngineError("INVALID_ARGUMENT", `MTU ${mtu} is below ${MTU_MIN_IPV6}, the minimum for IPv6`, { hint: "raise the MTU or drop the network's IPv6 subnet" });
  }
  if (opts.max && mtu > opts.max.mtu) {
    throw new EngineError("INVALID_ARGUMENT", `MTU ${mtu} is larger than the MTU of ${opts.max.of} (${opts.max.mtu})`);
  }
  return mtu;
}

/** Route metrics are 32-bit. */
export function validateMetric(metric: unknown): number {
  if (typeof metric !== "number" || !Number.isInteger(metric) || metric < 0 || metric > 0xffffffff) {
    throw new EngineError("INVALID_ARGUMENT", `default route metric ${String(metric)} is not an integer in 0..4294967295`);
  }
  return metric;
}

export function parseGatewayMode(mode: unknown): GatewayMode {
  if (mode === undefined || mode === "nat") return "nat";
  if (mode === "routed") return "routed";
  throw new EngineError("INVALID_ARGUMENT", `gateway mode '${String(mode)}' is not nat or routed`);
}
