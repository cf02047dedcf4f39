// A cache of the AssemblyScript compiler's results, so a build whose sources
// did not change does not pay for `-O3s --converge` again (`fwx run .` and
// `fwx build` of an unchanged project, the watch loop's first build, tests).
//
// It works as ccache's "direct mode" does: the key is everything that is not a
// file (the compiler's version, its arguments, the directories paths are
// shown from), and the entry under that key lists every file the compiler
// asked for with a digest of what it was given (or that it was missing), and
// every directory it listed with what it saw. An entry is used only when each
// of those answers is the same today, so any edit, a new file that would now
// be found first, or a different SDK is a miss. Nothing else reaches asc: its
// standard library is inside the compiler, whose version is in the key.
//
// Where: $FWX_CACHE_DIR/asc, else $XDG_CACHE_HOME/fwx/asc, else
// ~/.cache/fwx/asc. FWX_BUILD_CACHE=0 turns it off. An entry that cannot be
// read or parsed is a miss; entries are gzip-compressed and written as every
// cache's are (src/fs/cache-files.ts). The newest 64 are kept.

import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { cacheDir, readCacheEntry, writeCacheEntry } from "../fs/cache-files.js";

/** Bumped whenever what an entry holds, or how it is keyed, changes. */
const FORMAT = 2;
const KEEP = 64;

/** What the compiler was given while it ran: file contents (null: not found) and directory listings. */
export interface CompileInputs {
  files: Map<string, string | null>;
  listings: Map<string, string[] | null>;
}

/** The compiler's own outputs, as it wrote them, and the diagnostics as fwx reports them. */
export interface CachedOutputs<D> {
  binary: Uint8Array | null;
  sourceMap?: string;
  text?: string;
  /** Abort site id -> "file:line:column message" (abort-sites.ts). */
  aborts?: Record<string, string>;
  diagnostics: D[];
  /** asc's failure message, when it failed. */
  error?: string;
}

interface Entry {
  format: number;
  files: [string, string | null][];
  listings: [string, string[] | null][];
  binary: string | null;
  sourceMap?: string;
  text?: string;
  aborts?: Record<string, string>;
  diagnostics: unknown[];
  error?: string;
}

/** The cache directory, or null when FWX_BUILD_CACHE=0. */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  return cacheDir("asc", "FWX_BUILD_CACHE", env);
}

const digest = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The key: everything the result depends on that is not a file the compiler reads. */
export function compileKey(parts: Record<string, unknown>): string {
  return digest(JSON.stringify({ format: FORMAT, ...parts }));
}

/**
 * The outputs stored under `key`, if every file and listing they were made from reads the same now
 * (through the same `readFile`/`listFiles` the compiler is given); otherwise null.
 */
export function lookupCompile<D>(dir: string, key: string, readFile: (abs: string) => string | null, listFiles: (dir: string) => string[] | null): CachedOutputs<D> | null {
  const data = readCacheEntry(dir, `${key}.json.gz`);
  if (data === null) return null;
  let entry: Entry;
  try {
    entry = JSON.parse(gunzipSync(data).toString("utf8")) as Entry;
  } catch {
    return null;
  }
  if (entry?.format !== FORMAT || !Array.isArray(entry.files) || !Array.isArray(entry.listings)) return null;
  for (const [file, hash] of entry.files) {
    const now = readFile(file);
    if ((now === null ? null : digest(now)) !== hash) return null;
  }
  for (const [listed, names] of entry.listings) {
    if (JSON.stringify(listFiles(listed)) !== JSON.stringify(names)) return null;
  }
  return {
    binary: entry.binary === null ? null : new Uint8Array(Buffer.from(entry.binary, "base64")),
    ...(entry.sourceMap !== undefined ? { sourceMap: entry.sourceMap } : {}),
    ...(entry.text !== undefined ? { text: entry.text } : {}),
    ...(entry.aborts !== undefined ? { aborts: entry.aborts } : {}),
    diagnostics: entry.diagnostics as D[],
    ...(entry.error !== undefined ? { error: entry.error } : {}),
  };
}

/** Stores a compile's outputs under `key`. Best effort: a cache that cannot be written only costs time. */
export function storeCompile<D>(dir: string, key: string, inputs: CompileInputs, out: CachedOutputs<D>): void {
  const entry: Entry = {
    format: FORMAT,
    files: [...inputs.files].map(([file, text]) => [file, text === null ? null : digest(text)]),
    listings: [...inputs.listings],
    binary: out.binary === null ? null : Buffer.from(out.binary).toString("base64"),
    ...(out.sourceMap !== undefined ? { sourceMap: out.sourceMap } : {}),
    ...(out.text !== undefined ? { text: out.text } : {}),
    ...(out.aborts !== undefined ? { aborts: out.aborts } : {}),
    diagnostics: out.diagnostics,
    ...(out.error !== undefined ? { error: out.error } : {}),
  };
  // Compressed: the text module and the source map are most of an entry and shrink about tenfold.
  writeCacheEntry(dir, `${key}.json.gz`, gzipSync(JSON.stringify(entry), { level: 1 }), KEEP, ".json.gz");
}
