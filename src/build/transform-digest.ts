// What the compile cache's key (compile.ts) names of fwx's own code that
// changes the compiler's output: the transforms every build runs,
// static-utf8.ts with static-text.ts, and abort-sites.ts. An edit of any of
// them is a miss, never an old result.
//
// Named by their sources, wherever the code runs from: a bundle made by
// scripts/bundle-cli.mjs (dist/, the tests' CLI bundle) carries the digest of
// the sources it was made from, as FWX_TRANSFORM_SOURCES_DIGEST; code running
// from the sources (tests, in-process builds) takes it of the files beside
// this one. So the bundled CLI and the sources it was made from share entries:
// keyed by the file the code was loaded from, each bundle chunk and its
// source were strangers, and `npm test` compiled each example once for each.
// Code bundled some other way (scripts/run-ts.mjs) falls back to the file it
// was loaded from, which holds the transforms too.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The transforms' sources, in src/build/. */
export const TRANSFORM_SOURCES = ["static-utf8.ts", "static-text.ts", "abort-sites.ts"] as const;

/** Set by scripts/bundle-cli.mjs in the bundles it makes (an esbuild define); absent in the sources. */
declare const FWX_TRANSFORM_SOURCES_DIGEST: string | undefined;

/** The digest of the transforms' sources in `dir`; null if one is not there. scripts/bundle-cli.mjs computes the same. */
export function digestTransformSources(dir: string): string | null {
  const hash = createHash("sha256");
  for (const name of TRANSFORM_SOURCES) {
    let text: Buffer;
    try {
      text = readFileSync(join(dir, name));
    } catch {
      return null;
    }
    hash.update(`${name}\0${text.length}\0`).update(text);
  }
  return hash.digest("hex");
}

let digest: string | undefined;

/** What the compile cache's key names of the transforms: the bundle's define, else their sources beside this file, else this file. */
export function transformCodeDigest(): string {
  if (digest === undefined) {
    const here = fileURLToPath(import.meta.url);
    digest = (typeof FWX_TRANSFORM_SOURCES_DIGEST === "string" ? FWX_TRANSFORM_SOURCES_DIGEST : null)
      ?? digestTransformSources(dirname(here))
      ?? createHash("sha256").update(readFileSync(here)).digest("hex");
  }
  return digest;
}
