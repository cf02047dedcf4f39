// Binary deltas between two versions of a package: the new bytes as a list of
// COPY (a run of the old bytes) and INSERT (literal bytes) operations.
//
// Format (all integers unsigned LEB128 unless said otherwise):
//   "FWXD" u8 version=1, targetSize, baseSize
//   ops until the end:
//     0x00 COPY   zigzag(offset - end of the previous copy), length
//     0x01 INSERT length, bytes
// The decoder needs no lookahead and writes the output strictly in order, so
// a microcontroller can apply it streaming from the old slot into the new one.
//
// Matching: every position of the old bytes is indexed by a hash of the BLOCK
// bytes starting there; the encoder walks the new bytes, verifies candidate
// matches byte by byte, extends them forwards (and backwards into pending
// literals) and keeps the longest. Changing one constant in a wasm module
// changes a few bytes of the code section plus the manifest hash and the
// signature, so almost everything becomes a handful of COPY ops.

import { Writer } from "../pkg/cbor.js";
import { MAX_TRANSFER_BYTES } from "./receiver.js";

export class DeltaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeltaError";
  }
}

export const DELTA_MAGIC = [0x46, 0x57, 0x58, 0x44];
const VERSION = 1;
const BLOCK = 8;
/** Candidates kept per hash bucket: bounds the work on repetitive input (zero runs). */
const BUCKET_LIMIT = 16;
const OP_COPY = 0x00;
const OP_INSERT = 0x01;

function hashAt(b: Uint8Array, i: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < BLOCK; k++) h = Math.imul(h ^ b[i + k]!, 0x01000193);
  return h >>> 0;
}

function writeUleb(out: Writer, v: number): void {
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.byte(b);
  } while (v > 0);
}

const zigzag = (n: number) => (n >= 0 ? n * 2 : -n * 2 - 1);
const unzigzag = (n: number) => (n % 2 === 0 ? n / 2 : -(n + 1) / 2);

export function encodeDelta(base: Uint8Array, target: Uint8Array): Uint8Array {
  const index = new Map<number, number[]>();
  for (let i = 0; i + BLOCK <= base.length; i++) {
    const h = hashAt(base, i);
    const list = index.get(h);
    if (!list) index.set(h, [i]);
    else if (list.length < BUCKET_LIMIT) list.push(i);
  }
  const out = new Writer();
  out.bytes(Uint8Array.from(DELTA_MAGIC));
  out.byte(VERSION);
  writeUleb(out, target.length);
  writeUleb(out, base.length);
  let literalStart = 0;
  let lastCopyEnd = 0;
  const flushLiteral = (end: number) => {
    if (end > literalStart) {
      out.byte(OP_INSERT);
      writeUleb(out, end - literalStart);
      out.bytes(target.subarray(literalStart, end));
    }
  };
  let i = 0;
  while (i + BLOCK <= target.length) {
    const candidates = index.get(hashAt(target, i));
    let bestStart = -1, bestLen = 0, bestBack = 0;
    for (const c of candidates ?? []) {
      let len = 0;
      while (i + len < target.length && c + len < base.length && target[i + len] === base[c + len]) len++;
      if (len < BLOCK) continue;
      let back = 0;
      while (back < i - literalStart && back < c && target[i - back - 1] === base[c - back - 1]) back++;
      if (len + back > bestLen + bestBack) { bestStart = c; bestLen = len; bestBack = back; }
    }
    if (bestStart < 0) { i++; continue; }
    const from = bestStart - bestBack;
    flushLiteral(i - bestBack);
    out.byte(OP_COPY);
    writeUleb(out, zigzag(from - lastCopyEnd));
    writeUleb(out, bestLen + bestBack);
    lastCopyEnd = from + bestLen + bestBack;
    i += bestLen;
    literalStart = i;
  }
  flushLiteral(target.length);
  return out.result();
}

/**
 * Rebuilds the target; throws DeltaError naming the byte offset of anything malformed or out of range.
 * The delta comes off the broker, so its declared target size is bounded before anything is allocated.
 */
export function applyDelta(base: Uint8Array, delta: Uint8Array, maxTargetBytes = MAX_TRANSFER_BYTES): Uint8Array {
  let p = 0;
  const uleb = (what: string) => {
    let v = 0, scale = 1;
    for (let n = 0; n < 8; n++) {
      if (p >= delta.length) throw new DeltaError(`delta byte ${p}: truncated ${what}`);
      const b = delta[p++]!;
      v += (b & 0x7f) * scale;
      if (!(b & 0x80)) return v;
      scale *= 128;
    }
    throw new DeltaError(`delta byte ${p}: ${what} is longer than 8 bytes`);
  };
  if (delta.length < 5 || DELTA_MAGIC.some((m, k) => delta[k] !== m)) throw new DeltaError("delta does not start with FWXD");
  if (delta[4] !== VERSION) throw new DeltaError(`delta format ${delta[4]} is not supported (this device reads ${VERSION})`);
  p = 5;
  const size = uleb("target size");
  if (size > maxTargetBytes) throw new DeltaError(`delta byte 5: target size ${size} exceeds the limit of ${maxTargetBytes} bytes`);
  const baseSize = uleb("base size");
  if (baseSize !== base.length) throw new DeltaError(`delta was made against a ${baseSize}-byte base; the slot holds ${base.length} bytes`);
  const out = new Uint8Array(size);
  let w = 0, lastCopyEnd = 0;
  while (p < delta.length) {
    const at = p;
    const op = delta[p++]!;
    if (op === OP_COPY) {
      const from = lastCopyEnd + unzigzag(uleb("copy offset"));
      const len = uleb("copy length");
      if (from < 0 || from + len > base.length) throw new DeltaError(`delta byte ${at}: copy of ${len} bytes from base offset ${from} is outside the ${base.length}-byte base`);
      if (w + len > size) throw new DeltaError(`delta byte ${at}: copy runs past the ${size}-byte target`);
      out.set(base.subarray(from, from + len), w);
      w += len;
      lastCopyEnd = from + len;
    } else if (op === OP_INSERT) {
      const len = uleb("insert length");
      if (p + len > delta.length) throw new DeltaError(`delta byte ${at}: insert of ${len} bytes runs past the end of the delta`);
      if (w + len > size) throw new DeltaError(`delta byte ${at}: insert runs past the ${size}-byte target`);
      out.set(delta.subarray(p, p + len), w);
      p += len;
      w += len;
    } else {
      throw new DeltaError(`delta byte ${at}: unknown operation 0x${op.toString(16)}`);
    }
  }
  if (w !== size) throw new DeltaError(`delta produced ${w} bytes; its header promises ${size}`);
  return out;
}
