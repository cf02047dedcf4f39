// The debug map kept beside every build (never inside the module or a
// package): function index → name, code offset → source file:line:column,
// and a table of abort sites. With it a crash report from the simulator or
// from a device, which carries only function indices and byte offsets into
// the module as shipped, names the integrator's own function and line.
// Format: docs/debug-maps.md.

import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { SourceMapConsumer as Consumer } from "source-map-js";

/**
 * source-map-js, loaded by the one function that reads a source map (a build's): the agent and every
 * field command load this file for the map's format and lookups, and would otherwise load the
 * library's eight files at start (5 ms of CPU in each process) for nothing.
 */
const sourceMapConsumer = (): typeof Consumer => (createRequire(import.meta.url)("source-map-js") as { SourceMapConsumer: typeof Consumer }).SourceMapConsumer;

export const DEBUG_MAP_FORMAT = "fwx-debug-map";
export const DEBUG_MAP_VERSION = 1;
/** `build/x.wasm` → `build/x.fwxmap.json`. */
export const DEBUG_MAP_SUFFIX = ".fwxmap.json";

export interface DebugMap {
  format: typeof DEBUG_MAP_FORMAT;
  version: typeof DEBUG_MAP_VERSION;
  /** The module it describes, when built from a manifest. */
  module: { id: string; version: string } | null;
  /** SHA-256 (hex) of the exact module bytes described: how a crash report finds its map. */
  wasmSha256: string;
  /** Every function's name by index, imports first. */
  functions: string[];
  /** Source files: the project's own relative to the project directory, the standard library and SDK as `~lib/...`. */
  sources: string[];
  /** [code offset in the module, source index, line (1-based), column (1-based)], by offset. */
  lines: [number, number, number, number][];
  /** Abort site id → "file:line:col message", for builds that move abort messages out of the module. */
  aborts: Record<string, string>;
}

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** The map's path for a module written to `wasmPath`. */
export function debugMapPath(wasmPath: string): string {
  return wasmPath.replace(/\.wasm$/i, "") + DEBUG_MAP_SUFFIX;
}

/** From asc's source map (sources relative to the compile's base directory, as the compiler names them). */
export function createDebugMap(
  bytes: Uint8Array, sourceMapJson: string, functions: string[], module: DebugMap["module"], aborts: Record<string, string> = {},
): DebugMap {
  const raw = JSON.parse(sourceMapJson) as { sources: string[]; sourceRoot?: string };
  // asc sets sourceRoot to the output's base name; sources are what it compiled, which is what we keep.
  delete raw.sourceRoot;
  const SourceMapConsumer = sourceMapConsumer();
  const consumer = new SourceMapConsumer(raw as never);
  const sources: string[] = [];
  const index = new Map<string, number>();
  const lines: DebugMap["lines"] = [];
  consumer.eachMapping((m) => {
    if (m.source === null || m.originalLine === null) return;
    const name = m.source.replace(/\.\/\.fwx-abort-entry\.ts$/, "~lib/fwx/abort.ts");
    let i = index.get(name);
    if (i === undefined) {
      i = sources.push(name) - 1;
      index.set(name, i);
    }
    // A wasm source map is one line long; its column is the byte offset in the module.
    lines.push([m.generatedColumn, i, m.originalLine, (m.originalColumn ?? 0) + 1]);
  }, null, SourceMapConsumer.GENERATED_ORDER);
  lines.sort((a, b) => a[0] - b[0]);
  return { format: DEBUG_MAP_FORMAT, version: DEBUG_MAP_VERSION, module, wasmSha256: sha256Hex(bytes), functions, sources, lines, aborts };
}

export class DebugMapError extends Error {}

export function parseDebugMap(text: string, where: string): DebugMap {
  let v: Partial<DebugMap>;
  try {
    v = JSON.parse(text) as Partial<DebugMap>;
  } catch (e) {
    throw new DebugMapError(`${where}: not JSON: ${(e as Error).message}`);
  }
  if (v.format !== DEBUG_MAP_FORMAT) throw new DebugMapError(`${where}: not an fwx debug map (format is not "${DEBUG_MAP_FORMAT}")`);
  if (v.version !== DEBUG_MAP_VERSION) throw new DebugMapError(`${where}: debug map version ${String(v.version)}; this fwx reads version ${DEBUG_MAP_VERSION}`);
  if (typeof v.wasmSha256 !== "string" || !Array.isArray(v.functions) || !Array.isArray(v.sources) || !Array.isArray(v.lines)) {
    throw new DebugMapError(`${where}: a debug map needs wasmSha256, functions, sources and lines`);
  }
  return { aborts: {}, module: null, ...v } as DebugMap;
}

export function readDebugMap(path: string): DebugMap {
  return parseDebugMap(readFileSync(path, "utf8"), path);
}

/**
 * The map for a module with this hash: from the files named (a `--map` flag),
 * else from the maps beside `near` (a module or package file) and in the
 * `build/` directories of `dirs` (the project build output). Unreadable or
 * foreign files are passed over: only a map of exactly these bytes is used.
 */
export function findDebugMap(wasmSha256: string, opts: { files?: string[]; near?: string[]; dirs?: string[] }): DebugMap | null {
  const candidates: string[] = [...(opts.files ?? [])];
  for (const f of opts.near ?? []) candidates.push(debugMapPath(f.replace(/\.fwx$/i, "")));
  for (const d of opts.dirs ?? []) {
    for (const dir of [d, join(d, "build")]) {
      try {
        for (const f of readdirSync(dir)) if (f.endsWith(DEBUG_MAP_SUFFIX)) candidates.push(join(dir, f));
      } catch { /* no such directory */ }
    }
  }
  for (const c of candidates) {
    try {
      const map = readDebugMap(c);
      if (map.wasmSha256 === wasmSha256) return map;
    } catch { /* not a map of ours */ }
  }
  return null;
}

/** Index in `map.lines` of the last entry at or before `offset`, or -1. */
export function lineIndexAt(map: DebugMap, offset: number): number {
  let lo = 0, hi = map.lines.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (map.lines[mid]![0] <= offset) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}

/** The last line entry at or before `offset` within [from, to), optionally only in the project's own sources. */
function entryBefore(map: DebugMap, offset: number, from: number, to: number, userOnly: boolean): SourceLocation | null {
  for (let i = lineIndexAt(map, offset); i >= 0; i--) {
    const [at, src, line, column] = map.lines[i]!;
    if (at < from || at >= to) return null;
    const file = map.sources[src]!;
    if (userOnly && isLibrary(file)) continue;
    return { file, line, column };
  }
  return null;
}

/** The compiler's standard library and the SDK: not the integrator's code. */
export const isLibrary = (file: string): boolean => file.startsWith("~lib/");

export interface Symbolized {
  name: string | null;
  /** Where the instruction came from (may be library code inlined into a user function). */
  at: SourceLocation | null;
  /** The nearest of the integrator's own lines in the same function at or before it. */
  userAt: SourceLocation | null;
}

/** A frame (function index, byte offset in the module as shipped, the function's code range) → names and lines. */
export function symbolize(map: DebugMap, funcIndex: number, offset: number | null, body: { from: number; to: number } | null): Symbolized {
  const name = map.functions[funcIndex] ?? null;
  if (offset === null) return { name, at: null, userAt: null };
  const from = body?.from ?? 0, to = body?.to ?? Number.MAX_SAFE_INTEGER;
  return { name, at: entryBefore(map, offset, from, to, false), userAt: entryBefore(map, offset, from, to, true) };
}

export const formatLocation = (l: SourceLocation): string => `${l.file}:${l.line}:${l.column}`;
