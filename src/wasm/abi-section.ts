// The `fwx.abi` custom section: which interfaces, at which minimum versions,
// a module was built against. Small and trivially parsable in C:
//   u8       format version (1)
//   varu32   count
//   count × { varu32 name_len, name bytes (UTF-8), varu32 major, varu32 minor }
// Entries are sorted by name and unique.

import { decodeU32, encodeU32 } from "./leb128.js";

export const ABI_SECTION_NAME = "fwx.abi";
export const ABI_SECTION_FORMAT = 1;

export interface InterfaceRequirement {
  name: string;
  major: number;
  minor: number;
}

// ignoreBOM: a leading U+FEFF is part of the name, never silently dropped (see byte-reader.ts).
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

export class AbiSectionError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${ABI_SECTION_NAME} section, byte ${offset}: ${message}`);
    this.name = "AbiSectionError";
  }
}

export function encodeAbiSection(reqs: readonly InterfaceRequirement[]): Uint8Array {
  const sorted = [...reqs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: number[] = [ABI_SECTION_FORMAT, ...encodeU32(sorted.length)];
  for (const r of sorted) {
    const name = encoder.encode(r.name);
    out.push(...encodeU32(name.length), ...name, ...encodeU32(r.major), ...encodeU32(r.minor));
  }
  return Uint8Array.from(out);
}

export function decodeAbiSection(payload: Uint8Array): InterfaceRequirement[] {
  let pos = 0;
  const u32 = () => {
    try {
      const [v, n] = decodeU32(payload, pos);
      pos += n;
      return v;
    } catch (e) {
      throw new AbiSectionError((e as Error).message, pos);
    }
  };
  if (payload.length < 1) throw new AbiSectionError("empty section", 0);
  if (payload[0] !== ABI_SECTION_FORMAT) throw new AbiSectionError(`unknown format version ${payload[0]} (expected ${ABI_SECTION_FORMAT})`, 0);
  pos = 1;
  const count = u32();
  const out: InterfaceRequirement[] = [];
  for (let i = 0; i < count; i++) {
    const at = pos;
    const len = u32();
    if (pos + len > payload.length) throw new AbiSectionError(`interface name of ${len} bytes runs past the end`, at);
    let name: string;
    try {
      name = utf8.decode(payload.subarray(pos, pos + len));
    } catch {
      throw new AbiSectionError("interface name is not valid UTF-8", pos);
    }
    pos += len;
    const major = u32();
    const minor = u32();
    if (out.length && out[out.length - 1]!.name >= name) throw new AbiSectionError(`entries not sorted and unique at "${name}"`, at);
    out.push({ name, major, minor });
  }
  if (pos !== payload.length) throw new AbiSectionError(`${payload.length - pos} trailing bytes`, pos);
  return out;
}
