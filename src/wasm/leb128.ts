// Unsigned LEB128, as wasm uses for counts, lengths and indices.

export function encodeU32(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Decodes a u32 at `offset`; returns [value, bytesRead]. Throws RangeError on truncation or overflow. */
export function decodeU32(bytes: Uint8Array, offset: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (offset + i >= bytes.length) throw new RangeError(`LEB128 runs past the end at byte ${offset + i}`);
    const b = bytes[offset + i]!;
    if (i === 4 && b > 0x0f) throw new RangeError(`LEB128 u32 overflows at byte ${offset + i}`);
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result >>> 0, i + 1];
    shift += 7;
  }
  throw new RangeError(`LEB128 u32 longer than 5 bytes at byte ${offset}`);
}
