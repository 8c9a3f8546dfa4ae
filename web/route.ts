// The view and its argument live in the URL hash (#/policies/shop/web), so links and Back work.
import { useEffect, useState } from "preact/hooks";

export const VIEWS = ["map", "flows", "policies", "plumbing", "glance"] as const;
export type View = (typeof VIEWS)[number];

export function parseHash(hash: string): { view: View; arg: string } {
  const [view, ...rest] = hash.replace(/^#\/?/, "").split("/");
  return { view: (VIEWS as readonly string[]).includes(view!) ? (view as View) : "map", arg: rest.map(decodeURIComponent).join("/") };
}

export function go(view: View, arg = ""): void {
  location.hash = `#/${view}${arg ? `/${arg.split("/").map(encodeURIComponent).join("/")}` : ""}`;
}

export function useRoute(): { view: View; arg: string } {
  const [r, set] = useState(parseHash(location.hash));
  useEffect(() => {
    const on = () => set(parseHash(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return r;
}
