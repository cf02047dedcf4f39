// The files of fwx's caches on a developer's machine: the compiler's results
// (src/build/compile-cache.ts) and prepared modules (src/agent/prepared-cache.ts).
// A cache only ever saves time, so everything here is best effort: an entry
// that cannot be read is a miss, one that cannot be written is not kept, and
// neither is an error. Entries are written whole under a temporary name and
// renamed, so a reader never sees half of one; they are not fsynced, because
// losing one to a power cut costs only the time to make it again (durable
// state is written by src/fs/durable.ts instead). Reading an entry marks it
// used, and each cache keeps its newest entries.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where the cache named `kind` lives: $FWX_CACHE_DIR/<kind>, else $XDG_CACHE_HOME/fwx/<kind>, else
 * ~/.cache/fwx/<kind>; null when the variable `offSwitch` is "0".
 */
export function cacheDir(kind: string, offSwitch: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env[offSwitch] === "0") return null;
  if (env.FWX_CACHE_DIR) return join(env.FWX_CACHE_DIR, kind);
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "fwx", kind);
}

/** The bytes of the entry `name` in `dir`, marked as used now; null when it cannot be read. */
export function readCacheEntry(dir: string, name: string): Buffer | null {
  const file = join(dir, name);
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return null;
  }
  try {
    // Used now: the newest entries are the ones kept.
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    // a read-only cache: still a hit
  }
  return data;
}

/** Stores the entry `name` in `dir` whole, then keeps the `keep` most recently used entries ending in `suffix`. */
export function writeCacheEntry(dir: string, name: string, data: Uint8Array, keep: number, suffix: string): void {
  const file = join(dir, name);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(temp, data);
    renameSync(temp, file);
    prune(dir, keep, suffix);
  } catch {
    rmSync(temp, { force: true });
  }
}

function prune(dir: string, keep: number, suffix: string): void {
  const entries = readdirSync(dir).filter((f) => f.endsWith(suffix));
  if (entries.length <= keep) return;
  const byAge = entries
    .map((f) => ({ f, t: statSync(join(dir, f), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of byAge.slice(keep)) rmSync(join(dir, f), { force: true });
}
