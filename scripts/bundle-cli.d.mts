// Types for scripts/bundle-cli.mjs, so tests import it checked.
/** Bundles the CLI and the preparation worker into `outdir` (default dist/); returns the path of its cli.js. */
export function bundleCli(o?: { outdir?: string; sourcemap?: boolean; logLevel?: "silent" | "error" | "warning" | "info" }): Promise<string>;
