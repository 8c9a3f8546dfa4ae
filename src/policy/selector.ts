import type { LabelSelector } from "./types";

// Label selector semantics (apimachinery labels.Selector): matchLabels and matchExpressions
// are ANDed; NotIn and DoesNotExist also match objects that lack the key.

export function matchesSelector(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  // for…in, not Object.entries: this runs ~10^5 times per policy compile at 1,000 workloads.
  for (const k in sel.matchLabels) {
    if (!Object.prototype.hasOwnProperty.call(labels, k) || labels[k] !== sel.matchLabels[k]) return false;
  }
  for (const r of sel.matchExpressions) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.operator) {
      case "In":
        if (!has || !r.values.includes(labels[r.key]!)) return false;
        break;
      case "NotIn":
        if (has && r.values.includes(labels[r.key]!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

export const EVERYTHING: LabelSelector = Object.freeze({ matchLabels: {}, matchExpressions: [] }) as LabelSelector;
