// What `npm install` leaves in a project made by `fwx new`, linked from this
// checkout instead of downloaded, so the scaffold tests need no network.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** What `npm install` leaves behind, linked from this checkout: the packages and their bin entries. */
export function linkInstall(dir: string, repo: string): void {
  const nm = join(dir, "node_modules");
  mkdirSync(join(nm, "@as-pect"), { recursive: true });
  mkdirSync(join(nm, ".bin"), { recursive: true });
  symlinkSync(repo, join(nm, "fwx"), "dir");
  for (const p of ["assemblyscript", "typescript"]) symlinkSync(join(repo, "node_modules", p), join(nm, p), "dir");
  for (const p of ["cli", "assembly", "core", "transform"]) symlinkSync(join(repo, "node_modules", "@as-pect", p), join(nm, "@as-pect", p), "dir");
  // Wrappers rather than links: npm would make the linked files executable, which would change this checkout.
  const bins: Record<string, string> = { fwx: "fwx/dist/cli.js", asp: "@as-pect/cli/bin/asp.js", tsc: "typescript/bin/tsc" };
  for (const [name, target] of Object.entries(bins)) {
    writeFileSync(join(nm, ".bin", name), `#!/bin/sh\nexec node "$(dirname "$0")/../${target}" "$@"\n`, { mode: 0o755 });
  }
}
