// The compatibility lock file, host-abi/abi.lock.json: what was released,
// per interface its version and every function's wasm-level contract, plus
// status code values, enum values, flag bits, event kinds, capability ids and
// lifecycle export signatures. compat.ts compares the current spec against it.

import type { LoweredAbi, LoweredFunction, LoweredInterface } from "./lower.js";
import { typeToString } from "./types.js";

export const LOCK_FORMAT = 1;

export interface LockedParam { name: string; type: string }

export interface LockedFunction {
  since: string;
  /** Flat wasm signature, e.g. "(i32, i32) -> i32". */
  signature: string;
  wasm3: string;
  params: LockedParam[];
  outputs: LockedParam[];
  /** "status", "never" or the rich type of a value result. */
  result: string;
  capability: string | null;
  /** Status code names, "ok" first for status functions. */
  statuses: string[];
}

export interface LockedInterface {
  version: string;
  module: string;
  enums: Record<string, Record<string, number>>;
  flags: Record<string, Record<string, number>>;
  handles: string[];
  events: Record<string, { kind: number; handle: string }>;
  capabilities: Record<string, number>;
  functions: Record<string, LockedFunction>;
}

export interface LockedLifecycle {
  since: string;
  required: boolean;
  signature: string;
}

export interface AbiLock {
  lockFormat: number;
  abiVersion: string;
  statusCodes: Record<string, number>;
  lifecycle: Record<string, LockedLifecycle>;
  interfaces: Record<string, LockedInterface>;
}

export class LockFormatError extends Error {
  constructor(readonly file: string, readonly path: string, detail: string) {
    super(`${file}: ${path}: ${detail}`);
    this.name = "LockFormatError";
  }
}

function lockFunction(f: LoweredFunction): LockedFunction {
  return {
    since: f.spec.since,
    signature: f.signature,
    wasm3: f.wasm3Signature,
    params: f.params.map((p) => ({ name: p.spec.name, type: typeToString(p.type) })),
    outputs: f.outputs.map((o) => ({ name: o.spec.name, type: typeToString(o.type) })),
    result: f.resultKind === "value" ? typeToString(f.resultType!) : f.resultKind,
    capability: f.capability?.name ?? null,
    statuses: [...f.statuses],
  };
}

function lockInterface(i: LoweredInterface): LockedInterface {
  const byName = <T extends { name: string }, V>(items: T[], value: (t: T) => V): Record<string, V> =>
    Object.fromEntries(items.map((t) => [t.name, value(t)]));
  return {
    version: i.spec.version,
    module: i.module,
    enums: byName(i.enums, (e) => byName(e.cases, (c) => c.value)),
    flags: byName(i.flags, (f) => byName(f.flags, (x) => x.bit)),
    handles: i.handles.map((h) => h.name),
    events: byName(i.events, (e) => ({ kind: e.kind, handle: e.handle })),
    capabilities: byName(i.capabilities, (c) => c.id),
    functions: byName(i.functions, lockFunction),
  };
}

/** The lock that records the current spec as released. */
export function buildLock(abi: LoweredAbi): AbiLock {
  return {
    lockFormat: LOCK_FORMAT,
    abiVersion: abi.spec.version,
    statusCodes: Object.fromEntries(abi.statusCodes.map((s) => [s.name, s.value])),
    lifecycle: Object.fromEntries(abi.lifecycle.map((l) => [l.spec.name, { since: l.spec.since, required: l.spec.required, signature: l.signature }])),
    interfaces: Object.fromEntries(abi.interfaces.map((i) => [i.name, lockInterface(i)])),
  };
}

/**
 * Pretty JSON in which any value that fits on one line stays on one line, so
 * a function's record reads (and diffs) as a few lines instead of dozens.
 */
function compactJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(compactJson).join(", ")}]`;
  return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${compactJson(v)}`).join(", ")}}`;
}

function formatJson(value: unknown, indent: string): string {
  const compact = compactJson(value);
  if (value === null || typeof value !== "object" || indent.length + compact.length <= 100) return compact;
  const inner = indent + "  ";
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + formatJson(v, inner)).join(",\n")}\n${indent}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(",\n")}\n${indent}}`;
}

export function formatLock(lock: AbiLock): string {
  return formatJson(lock, "") + "\n";
}

// ---- reading a lock file: every field is checked, so a hand-edited or
// truncated lock is reported by its JSON path instead of crashing the check.

type Json = unknown;

function parseLockData(data: Json, file: string): AbiLock {
  const fail = (path: string, detail: string): never => { throw new LockFormatError(file, path, detail); };
  const obj = (v: Json, path: string): Record<string, Json> =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, Json>) : fail(path, "expected an object");
  const str = (v: Json, path: string): string => (typeof v === "string" ? v : fail(path, "expected a string"));
  const int = (v: Json, path: string): number => (Number.isInteger(v) ? (v as number) : fail(path, "expected an integer"));
  const bool = (v: Json, path: string): boolean => (typeof v === "boolean" ? v : fail(path, "expected true or false"));
  const arr = (v: Json, path: string): Json[] => (Array.isArray(v) ? v : fail(path, "expected an array"));
  const version = (v: Json, path: string): string => {
    const s = str(v, path);
    return /^\d+\.\d+\.\d+$/.test(s) ? s : fail(path, `"${s}" is not a MAJOR.MINOR.PATCH version`);
  };
  const map = <T>(v: Json, path: string, item: (x: Json, p: string) => T): Record<string, T> =>
    Object.fromEntries(Object.entries(obj(v, path)).map(([k, x]) => [k, item(x, `${path}.${k}`)]));
  const params = (v: Json, path: string): LockedParam[] =>
    arr(v, path).map((x, n) => { const o = obj(x, `${path}[${n}]`); return { name: str(o.name, `${path}[${n}].name`), type: str(o.type, `${path}[${n}].type`) }; });

  const root = obj(data, "(root)");
  if (root.lockFormat !== LOCK_FORMAT) fail("lockFormat", `expected ${LOCK_FORMAT}, found ${JSON.stringify(root.lockFormat)}`);
  return {
    lockFormat: LOCK_FORMAT,
    abiVersion: version(root.abiVersion, "abiVersion"),
    statusCodes: map(root.statusCodes, "statusCodes", int),
    lifecycle: map(root.lifecycle, "lifecycle", (x, p) => {
      const o = obj(x, p);
      return { since: version(o.since, `${p}.since`), required: bool(o.required, `${p}.required`), signature: str(o.signature, `${p}.signature`) };
    }),
    interfaces: map(root.interfaces, "interfaces", (x, p): LockedInterface => {
      const o = obj(x, p);
      return {
        version: version(o.version, `${p}.version`),
        module: str(o.module, `${p}.module`),
        enums: map(o.enums, `${p}.enums`, (e, ep) => map(e, ep, int)),
        flags: map(o.flags, `${p}.flags`, (e, ep) => map(e, ep, int)),
        handles: arr(o.handles, `${p}.handles`).map((h, n) => str(h, `${p}.handles[${n}]`)),
        events: map(o.events, `${p}.events`, (e, ep) => { const eo = obj(e, ep); return { kind: int(eo.kind, `${ep}.kind`), handle: str(eo.handle, `${ep}.handle`) }; }),
        capabilities: map(o.capabilities, `${p}.capabilities`, int),
        functions: map(o.functions, `${p}.functions`, (f, fp): LockedFunction => {
          const fo = obj(f, fp);
          return {
            since: version(fo.since, `${fp}.since`),
            signature: str(fo.signature, `${fp}.signature`),
            wasm3: str(fo.wasm3, `${fp}.wasm3`),
            params: params(fo.params, `${fp}.params`),
            outputs: params(fo.outputs, `${fp}.outputs`),
            result: str(fo.result, `${fp}.result`),
            capability: fo.capability === null ? null : str(fo.capability, `${fp}.capability`),
            statuses: arr(fo.statuses, `${fp}.statuses`).map((s, n) => str(s, `${fp}.statuses[${n}]`)),
          };
        }),
      };
    }),
  };
}

/** Parses the text of abi.lock.json; throws LockFormatError naming the file and JSON path. */
export function parseLock(text: string, file: string): AbiLock {
  let data: Json;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new LockFormatError(file, "(root)", `not valid JSON: ${(e as Error).message}`);
  }
  return parseLockData(data, file);
}
