// Lays one call of the conformance table out as wasm would pass it: flat
// argument values and the bytes they point at, at the same offsets in a
// 64 KiB linear memory on both sides, so both hosts see the same call.

import { FUNCTION_BY_INDEX, LOWERED } from "../../src/agent/abi.js";
import type { LoweredFunction } from "../../host-abi/gen/lower.js";
import type { Arg, Call } from "./table.js";

export const MEMORY_BYTES = 65536;
const HEAP = 1024;

export interface LaidOutCall {
  fn: LoweredFunction;
  /** Position in FUNCTIONS / fwx_imports[]. */
  index: number;
  /** One value per flat wasm parameter (i32 as a JS number, i64 as a bigint). */
  flat: (number | bigint)[];
  /** Bytes to write before the call. */
  writes: { at: number; bytes: Uint8Array }[];
  /** What the host may write, compared between the two sides after the call. */
  results: { at: number; len: number }[];
}

export function fnByName(name: string): { fn: LoweredFunction; index: number } {
  const [iface, fname] = name.split(".");
  const fn = LOWERED.functions.find((f) => f.iface === iface && f.name === fname);
  if (!fn) throw new Error(`conformance table: no ABI function ${name}`);
  return { fn, index: FUNCTION_BY_INDEX.indexOf(fn) };
}

/** `handles[k]`: the handle setup call k returned. */
export function layOut(call: Call, handles: readonly number[]): LaidOutCall {
  const { fn, index } = fnByName(call.fn);
  let heap = HEAP;
  const writes: LaidOutCall["writes"] = [];
  const results: LaidOutCall["results"] = [];
  const flat: (number | bigint)[] = [];
  const place = (bytes: Uint8Array) => {
    const at = heap;
    writes.push({ at, bytes });
    heap += bytes.length + 16;
    return at;
  };
  for (const a of call.args as Arg[]) {
    if (typeof a === "number") flat.push(a);
    else if ("f32" in a) flat.push(a.f32);
    else if ("str" in a) { const b = new TextEncoder().encode(a.str); flat.push(place(b), b.length); }
    else if ("bytes" in a) { const b = Uint8Array.from(a.bytes); flat.push(place(b), b.length); }
    else if ("cap" in a) { const at = place(new Uint8Array(a.cap).fill(0xee)); flat.push(at, a.cap); results.push({ at, len: a.cap }); }
    else if ("out" in a) { const at = place(new Uint8Array(8).fill(0xee)); flat.push(at); results.push({ at, len: 8 }); }
    else if ("outOfBounds" in a) {
      if (a.outOfBounds === "range") flat.push(MEMORY_BYTES - 4, 16);
      else flat.push(MEMORY_BYTES - 3);
    } else if ("handleOf" in a) {
      const h = handles[a.handleOf];
      if (h === undefined) throw new Error(`conformance table: ${call.fn} uses the handle of setup call ${a.handleOf}, which gave none`);
      flat.push(h);
    }
  }
  if (flat.length !== fn.flat.params.length) throw new Error(`conformance table: ${call.fn} takes ${fn.flat.params.length} flat arguments, the row gives ${flat.length}`);
  return { fn, index, flat: flat.map((v, i) => (fn.flat.params[i]!.type === "i64" ? BigInt(v) : v)), writes, results };
}

/** The value wasm3 would hold in the call's slot for flat argument i (u64 bits, as decimal text). */
export function slotBits(call: LaidOutCall, i: number): string {
  const v = call.flat[i]!;
  switch (call.fn.flat.params[i]!.type) {
    case "i64": return BigInt.asUintN(64, BigInt(v)).toString();
    case "f32": { const d = new DataView(new ArrayBuffer(4)); d.setFloat32(0, Number(v), true); return String(d.getUint32(0, true)); }
    case "f64": { const d = new DataView(new ArrayBuffer(8)); d.setFloat64(0, Number(v), true); return d.getBigUint64(0, true).toString(); }
    default: return String(Number(v) >>> 0);
  }
}
