// Tables for people, JSON for programs (-o json on every read command).
export type Format = "table" | "json";

export function printJson(v: unknown): void {
  process.stdout.write(JSON.stringify(v, null, 2) + "\n");
}

export function printTable(headers: string[], rows: (string | number | undefined)[][]): void {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === undefined || c === "" ? "-" : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  for (const r of cells) process.stdout.write(r.map((c, i) => (i === r.length - 1 ? c : (c ?? "").padEnd(widths[i]!))).join("   ") + "\n");
}

/** Labels (or a selector's matchLabels) as K=V,K=V. */
export const labelText = (l: Record<string, string>): string => Object.entries(l).map(([k, v]) => `${k}=${v}`).join(",");

export function show<T>(format: Format, data: T, table: (d: T) => void): void {
  if (format === "json") printJson(data);
  else table(data);
}
