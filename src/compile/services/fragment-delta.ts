// Which service fragments differ between two compiles. Both lists are in key order and an unchanged
// service keeps its fragment object, so one merge by identity finds them: pointer comparisons for the
// unchanged services, real work only for the changed ones.
import type { ServiceFragment } from "./compile";

export interface FragmentDelta {
  /** Fragments of `from` that `to` no longer has (removed or replaced services). */
  gone: ServiceFragment[];
  /** Fragments of `to` that `from` did not have (new or replaced services). */
  added: ServiceFragment[];
}

export function fragmentDelta(from: readonly ServiceFragment[], to: readonly ServiceFragment[]): FragmentDelta {
  const delta: FragmentDelta = { gone: [], added: [] };
  if (from === to) return delta;
  let i = 0;
  let j = 0;
  while (i < from.length || j < to.length) {
    const a = from[i];
    const b = to[j];
    if (a === b) {
      i++;
      j++;
    } else if (!b || (a && a.name < b.name)) {
      delta.gone.push(a!);
      i++;
    } else if (!a || b.name < a.name) {
      delta.added.push(b);
      j++;
    } else {
      delta.gone.push(a);
      delta.added.push(b);
      i++;
      j++;
    }
  }
  return delta;
}
