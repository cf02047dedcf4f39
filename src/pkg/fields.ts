// Typed, strict access to decoded CBOR maps. Every document (manifest,
// certificate, revocation list) rejects unknown keys: a field this verifier
// does not understand might restrict something, so it is never ignored.

import type { CborMap, CborValue } from "./cbor.js";

export class FieldError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "FieldError";
  }
}

const kind = (v: CborValue): string =>
  v === null ? "null" : v instanceof Uint8Array ? "bytes" : Array.isArray(v) ? "array" : v instanceof Map ? "map" : typeof v;

export function asMap(v: CborValue, path: string): CborMap {
  if (!(v instanceof Map)) throw new FieldError(path, `expected a map, found ${kind(v)}`);
  return v;
}

export function asArray(v: CborValue, path: string, maxItems = 1024): CborValue[] {
  if (!Array.isArray(v)) throw new FieldError(path, `expected an array, found ${kind(v)}`);
  if (v.length > maxItems) throw new FieldError(path, `${v.length} items (at most ${maxItems})`);
  return v;
}

export function asUint(v: CborValue, path: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new FieldError(path, `expected an unsigned integer, found ${kind(v)} ${typeof v === "number" ? v : ""}`.trimEnd());
  if (v > max) throw new FieldError(path, `${v} exceeds ${max}`);
  return v;
}

export function asText(v: CborValue, path: string, maxBytes = 256): string {
  if (typeof v !== "string") throw new FieldError(path, `expected text, found ${kind(v)}`);
  if (Buffer.byteLength(v) > maxBytes) throw new FieldError(path, `text longer than ${maxBytes} bytes`);
  return v;
}

export function asBytes(v: CborValue, path: string, exactLength?: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new FieldError(path, `expected bytes, found ${kind(v)}`);
  if (exactLength !== undefined && v.length !== exactLength) throw new FieldError(path, `expected ${exactLength} bytes, found ${v.length}`);
  return v;
}

export function asBool(v: CborValue, path: string): boolean {
  if (typeof v !== "boolean") throw new FieldError(path, `expected a boolean, found ${kind(v)}`);
  return v;
}

/** Field access by small-integer key, with names for messages ("manifest.capabilities (key 7)"). */
export class Fields {
  constructor(private readonly map: CborMap, readonly path: string, private readonly names: Record<number, string>) {
    for (const k of map.keys()) if (!(k in names)) throw new FieldError(`${path} key ${k}`, "unknown key");
  }

  at(key: number): string {
    return `${this.path}.${this.names[key] ?? "?"} (key ${key})`;
  }

  required<T>(key: number, read: (v: CborValue, path: string) => T): T {
    const v = this.map.get(key);
    if (v === undefined) throw new FieldError(this.at(key), "missing");
    return read(v, this.at(key));
  }

  optional<T>(key: number, read: (v: CborValue, path: string) => T): T | undefined {
    const v = this.map.get(key);
    return v === undefined ? undefined : read(v, this.at(key));
  }
}

/** Builds a map leaving out undefined fields, so absent optional fields cost no bytes. */
export function compactMap(entries: Record<number, CborValue | undefined>): CborMap {
  const m: CborMap = new Map();
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) m.set(Number(k), v);
  return m;
}
