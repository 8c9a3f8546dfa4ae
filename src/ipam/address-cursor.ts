// Where the next address scan of a network starts: below the cursor every address is held, so a
// creation on a network of N workloads does not format and look up N addresses first (issue 20).
// The cursor is trusted only while the network holds exactly as many addresses as after the last
// allocation that moved it: a release, a rolled-back creation or an address taken another way
// changes that count, and the next scan starts from the subnet's first address again (and the
// cursor is set from it). Equal picks to a scan from the first address: address-cursor.test.ts.

interface Cursor {
  /** Every address of the subnet below this one was held (or the gateway)… */
  from: bigint;
  /** …when the network held this many addresses (the allocation that set the cursor included). */
  held: number;
}

export class AddressCursors {
  private readonly cursors = new Map<string, Cursor>();

  /**
   * The cursor to give allocateAddress for `key` (network, family, subnet) while `held` addresses
   * are held there: it says where the next scan may start once the address it returns is held.
   */
  cursor(key: string, held: number): { from: bigint; next: (from: bigint | undefined) => void } {
    const c = this.cursors.get(key);
    const from = c && c.held === held ? c.from : 0n;
    return { from, next: (next) => void this.cursors.set(key, { from: next ?? from, held: held + 1 }) };
  }
}
