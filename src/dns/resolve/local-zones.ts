// Which names we answer authoritatively. A name under a local suffix never goes upstream: a miss
// there is NXDOMAIN at once instead of a slow round trip (and no leak of internal names to the
// host's resolver). A single label is local only when the asker's view holds it (local-resolver).

export class LocalZones {
  private readonly suffixes: string[];

  constructor(suffixes: readonly string[]) {
    // Longest first, so apexOf returns the most specific zone.
    this.suffixes = [...new Set(suffixes.map((s) => s.toLowerCase().replace(/^\.|\.$/g, "")).filter((s) => s))].sort(
      (a, b) => b.length - a.length,
    );
  }

  list(): string[] {
    return [...this.suffixes];
  }

  isLocal(name: string): boolean {
    return this.apexOf(name) !== undefined;
  }

  /** The zone a local name belongs to ("" for a single-label name), undefined when not local. */
  apexOf(name: string): string | undefined {
    if (name === "") return undefined;
    for (const s of this.suffixes) {
      if (name === s || (name.length > s.length && name.endsWith(s) && name.charCodeAt(name.length - s.length - 1) === 46)) return s;
    }
    return name.includes(".") ? undefined : "";
  }
}
