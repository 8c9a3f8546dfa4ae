/** SQLite's default (BINARY) text order, for ASCII keys: the order the store lists its rows in. */
export const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
