// Prepared modules kept between runs of the simulator (`fwx run`, `npm
// start`'s demo), so running a module that did not change skips the
// preparation worker and binaryen: `fwx run` of the built cold-chain example
// for an hour of device time measured 0.60 -> 0.26 CPU-s on 2 cores.
//
// An entry holds what is costly to make again: the module as it runs
// (validated, instrumented, memory capped) and where its memory is imported.
// What is cheap is done again on every hit, by the code a miss runs too
// (prepared.ts): parsing, the frame map, compiling.
//
// The key is everything the entry is made from: the module's bytes, the
// preparation options, and the preparing code itself, as a digest of the
// preparation worker's script (which holds all of it: dist/prepare-worker.js
// names every chunk it imports by a content hash, and the bundle made from the
// sources inlines them) with binaryen's version. Another fwx, an edited
// instrumenter or another binaryen is a miss. An entry also carries the SHA-256
// of the module it holds, checked on every hit, so a damaged entry is a miss.
// Only modules that were prepared are kept: a refusal is always made afresh.
//
// The device agent does not use it: nothing outside its state directory may
// have a say in what it runs. It keeps its own entries, in the same form,
// beside the slots they were prepared from and authenticated with a key of
// the device's own (src/ota/prepared-store.ts).
//
// Where: $FWX_CACHE_DIR/prepared, else $XDG_CACHE_HOME/fwx/prepared, else
// ~/.cache/fwx/prepared (src/fs/cache-files.ts). FWX_PREPARE_CACHE=0 turns it
// off. The newest 64 are kept.

import { gunzipSync, gzipSync } from "node:zlib";
import { cacheDir, readCacheEntry, writeCacheEntry } from "../fs/cache-files.js";
import { parseModule } from "../wasm/reader.js";
import { completePrepared, STRUCTURE_ONLY } from "./prepared.js";
import { sha256 } from "./record.js";
import type { PreparedModule, PrepareOptions } from "./refusal.js";

/** Bumped whenever what an entry holds, or how it is keyed, changes. */
const FORMAT = 1;
const KEEP = 64;
const SUFFIX = ".prepared.gz";

interface Entry {
  format: number;
  key: string;
  sha256: string;
  bytes: string;
  importModule: string;
  importName: string;
  initialPages: number;
  maxPages: number;
  ramBudgetBytes?: number;
}

/** The cache directory, or null when FWX_PREPARE_CACHE=0. */
export function preparedCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  return cacheDir("prepared", "FWX_PREPARE_CACHE", env);
}

/** The key of `bytes` prepared with `options` by the code `preparer` identifies (preparerIdentity in prepare-pool.ts). */
export function preparedKey(preparer: string, bytes: Uint8Array, options: PrepareOptions): string {
  // Names in reports (moduleId, source) are not part of what is prepared: a hit puts the caller's in.
  const { ramBudgetBytes, deviceClass = null, limits = null } = options;
  return sha256(Buffer.from(JSON.stringify({ format: FORMAT, preparer, module: sha256(bytes), ramBudgetBytes, deviceClass, limits })));
}

/** The prepared module stored under `key`, compiled afresh; null on a miss (absent, damaged, or not the key's). */
export function lookupPrepared(dir: string, key: string, bytes: Uint8Array, options: PrepareOptions): PreparedModule | null {
  const data = readCacheEntry(dir, `${key}${SUFFIX}`);
  return data === null ? null : decodePreparedEntry(data, key, bytes, options);
}

/** Keeps a prepared module under `key`. Best effort: a cache that cannot be written only costs time. */
export function storePrepared(dir: string, key: string, prepared: PreparedModule): void {
  writeCacheEntry(dir, `${key}${SUFFIX}`, encodePreparedEntry(key, prepared), KEEP, SUFFIX);
}

/** An entry's bytes: what is costly to make again of `prepared`, with the key it is kept under. Also the device's (src/ota/prepared-store.ts). */
export function encodePreparedEntry(key: string, prepared: PreparedModule): Buffer {
  const m = prepared.memory;
  const entry: Entry = {
    format: FORMAT, key, sha256: sha256(m.bytes), bytes: Buffer.from(m.bytes).toString("base64"),
    importModule: m.importModule, importName: m.importName, initialPages: m.initialPages, maxPages: m.maxPages,
    ...(m.ramBudgetBytes !== undefined ? { ramBudgetBytes: m.ramBudgetBytes } : {}),
  };
  return gzipSync(JSON.stringify(entry), { level: 1 });
}

/** The prepared module an entry holds for `bytes`, compiled afresh; null when it is damaged or another key's. */
export function decodePreparedEntry(data: Uint8Array, key: string, bytes: Uint8Array, options: PrepareOptions): PreparedModule | null {
  try {
    const e = JSON.parse(gunzipSync(data).toString("utf8")) as Entry;
    if (e.format !== FORMAT || e.key !== key) return null;
    const running = new Uint8Array(Buffer.from(e.bytes, "base64"));
    if (sha256(running) !== e.sha256) return null;
    const memory = {
      bytes: running, importModule: e.importModule, importName: e.importName, initialPages: e.initialPages, maxPages: e.maxPages,
      ...(e.ramBudgetBytes !== undefined ? { ramBudgetBytes: e.ramBudgetBytes } : {}),
    };
    return completePrepared(options.moduleId, options.source, bytes, parseModule(bytes, STRUCTURE_ONLY), memory);
  } catch {
    // Whatever is wrong with an entry (it was prepared once, so it is the entry), preparing again answers.
    return null;
  }
}
