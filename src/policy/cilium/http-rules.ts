import { invalid, notImplemented } from "../errors";
import { absent, expectArray, expectObj, expectString, isObj } from "../parse-fields";
import type { HttpRule } from "../l7-types";
import type { PortSpec } from "../types";

// toPorts[].rules of a CiliumNetworkPolicy: the `http` list (src/l7 enforces it). `dns` and
// `kafka` are other engines' business and stay refused by name here.

const HTTP_FIELDS = ["method", "path", "host", "headers", "headerMatches"];

function regex(v: unknown, path: string): string {
  const text = expectString(v, path);
  try {
    new RegExp(`^(?:${text})$`);
  } catch (e) {
    throw invalid(path, `"${text}" is not a valid regular expression (${(e as Error).message})`);
  }
  return text;
}

function parseHttpRule(v: unknown, path: string): HttpRule {
  const o = expectObj(absent(v) ? {} : v, path, HTTP_FIELDS);
  if (!absent(o.headerMatches)) throw notImplemented(`${path}.headerMatches`, "headerMatches (header rewrites and secrets)");
  const rule: HttpRule = {};
  if (!absent(o.method)) rule.method = regex(o.method, `${path}.method`);
  if (!absent(o.path)) rule.path = regex(o.path, `${path}.path`);
  if (!absent(o.host)) rule.host = regex(o.host, `${path}.host`);
  if (!absent(o.headers)) {
    rule.headers = expectArray(o.headers, `${path}.headers`).map((h, i) => {
      const text = expectString(h, `${path}.headers[${i}]`).trim();
      if (text === "" || text.startsWith(":")) throw invalid(`${path}.headers[${i}]`, `"${text}" must be "Name" or "Name: value"`);
      return text;
    });
  }
  return rule;
}

/** `rules` of one toPorts entry: the HTTP rules, or undefined when the entry has none. */
export function parseHttpRules(v: unknown, path: string, deny: boolean): HttpRule[] | undefined {
  if (deny) throw invalid(path, "deny rules have no L7 part");
  if (!isObj(v)) throw invalid(path, "must be an object");
  const o = expectObj(v, path, ["http", "dns", "kafka", "l7proto", "l7"]);
  for (const f of ["dns", "kafka", "l7proto", "l7"]) if (!absent(o[f])) throw notImplemented(`${path}.${f}`, `L7 rules (${f})`);
  if (absent(o.http)) return undefined;
  // An empty list is Cilium's "every request": still proxied, every request a flow record.
  return expectArray(o.http, `${path}.http`).map((r, i) => parseHttpRule(r, `${path}.http[${i}]`));
}

/** HTTP rules need one concrete TCP port per entry: the proxy listens for that port. */
export function checkHttpPorts(ports: PortSpec[], path: string): void {
  for (const p of ports) {
    if (p.protocol !== "TCP") continue;
    if (typeof p.port !== "number") throw notImplemented(`${path}.ports`, "HTTP rules on a named port or on every port (give a number)");
    if (p.endPort !== undefined && p.endPort !== p.port) throw invalid(`${path}.ports`, "HTTP rules apply to one port, not a range");
  }
  if (!ports.some((p) => p.protocol === "TCP")) throw invalid(`${path}.ports`, "HTTP rules need a TCP (or ANY) port");
}
