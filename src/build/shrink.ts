// The last step of `fwx build` before the fwx.abi section: neighbouring data
// segments are merged where the zero bytes between them cost less than a
// segment's own framing. Only the data section and the data count are
// rewritten (the count keeps its encoded length), so every other byte stays
// where AssemblyScript put it: code offsets, and with them the source map a
// build keeps beside the module, stay valid.
//
// Measured on the examples (issue 14), module without fwx.abi: cold-chain-alarm
// 7,056 -> 7,005 B, pump-vibration 15,903 -> 15,822 B (shipped with fwx.abi:
// 7,116 -> 7,063 B and 15,960 -> 15,877 B). A binaryen -Oz pass
// over AssemblyScript's -O3s output was measured too and dropped: it saved
// another 20 B (cold-chain) and 22 B (pump) but re-encodes all code, which
// would invalidate the source map.
import { ByteReader, WasmParseError } from "../wasm/byte-reader.js";
import { encodeU32 } from "../wasm/leb128.js";
import { concatBytes, SECTION, walkSections } from "../wasm/sections.js";

/**
 * Zero bytes a merge may absorb: a segment costs a flag byte, an i32.const
 * offset (3-4 bytes at these addresses), an end byte and a size byte, so a
 * gap up to this long is cheaper inside one segment than between two.
 * Measured: 6-8 gives the smallest examples, 10 is already worse.
 */
const MAX_MERGED_GAP = 6;

export interface Segment {
  offset: number;
  data: Uint8Array;
}

/** Active segments in address order, neighbours at most MAX_MERGED_GAP apart joined (the gap zero-filled, as linear memory starts). */
export function mergeSegments(segments: readonly Segment[]): Segment[] {
  const merged: Segment[] = [];
  for (const s of [...segments].sort((a, b) => a.offset - b.offset)) {
    const last = merged[merged.length - 1];
    const lastEnd = last ? last.offset + last.data.length : 0;
    if (last && s.offset >= lastEnd && s.offset - lastEnd <= MAX_MERGED_GAP) {
      const data = new Uint8Array(s.offset + s.data.length - last.offset);
      data.set(last.data);
      data.set(s.data, s.offset - last.offset);
      last.data = data;
    } else {
      merged.push({ offset: s.offset, data: s.data });
    }
  }
  return merged;
}

/** Signed LEB128 of a non-negative i32 (an i32.const operand). */
function encodeS32(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = value & 0x7f;
    value >>>= 7;
    if (value === 0 && (b & 0x40) === 0) return [...out, b];
    out.push(b | 0x80);
  }
}

/** Unsigned LEB128 padded to `width` bytes (a valid, non-minimal encoding). */
function encodeU32Width(value: number, width: number): number[] | null {
  const min = encodeU32(value);
  if (min.length > width) return null;
  const out: number[] = [];
  for (let i = 0; i < width; i++) out.push(((value >>> (7 * i)) & 0x7f) | (i < width - 1 ? 0x80 : 0));
  return out;
}

/** The data section's segments when every one is active in memory 0 at an i32.const offset; null otherwise. */
function readSegments(bytes: Uint8Array, start: number, end: number): Segment[] | null {
  const r = new ByteReader(bytes, start, end, "the data section");
  const n = r.u32("segment count");
  const out: Segment[] = [];
  for (let i = 0; i < n; i++) {
    if (r.u32("segment flags") !== 0) return null;
    if (r.u8("offset opcode") !== 0x41) return null;
    const offset = r.signed(32, "segment offset");
    if (r.u8("offset end") !== 0x0b || offset < 0) return null;
    const len = r.u32("segment size");
    out.push({ offset, data: r.take(len, "segment bytes") });
  }
  return r.atEnd() ? out : null;
}

/** Returns the module with its data segments merged, or `bytes` itself when nothing qualifies or nothing is gained. */
export function shrinkModule(bytes: Uint8Array): Uint8Array {
  let sections;
  try {
    sections = walkSections(bytes);
  } catch (e) {
    if (e instanceof WasmParseError) return bytes; // the validator reports it
    throw e;
  }
  const data = sections.find((s) => s.id === SECTION.data);
  if (!data) return bytes;
  let segments: Segment[] | null;
  try {
    segments = readSegments(bytes, data.payloadOffset, data.end);
  } catch (e) {
    if (e instanceof WasmParseError) return bytes;
    throw e;
  }
  if (!segments) return bytes;
  const merged = mergeSegments(segments);
  if (merged.length === segments.length) return bytes;

  const body = concatBytes([
    Uint8Array.from(encodeU32(merged.length)),
    ...merged.flatMap((s) => [Uint8Array.from([0x00, 0x41, ...encodeS32(s.offset), 0x0b, ...encodeU32(s.data.length)]), s.data]),
  ]);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const s of sections) {
    if (s.id === SECTION.dataCount) {
      // Same encoded length as before, so nothing ahead of the code moves.
      const countAt = s.payloadOffset;
      const width = s.end - countAt;
      const count = encodeU32Width(merged.length, width);
      if (!count) return bytes;
      parts.push(bytes.subarray(at, countAt), Uint8Array.from(count));
      at = s.end;
    } else if (s.id === SECTION.data) {
      parts.push(bytes.subarray(at, s.offset), Uint8Array.from([SECTION.data, ...encodeU32(body.length)]), body);
      at = s.end;
    }
  }
  parts.push(bytes.subarray(at));
  const out = concatBytes(parts);
  return out.length < bytes.length ? out : bytes;
}
