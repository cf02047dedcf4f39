// Just enough of the wasm binary format to find custom sections: the package
// verifier cross-checks the payload's fwx.abi and fwx.fuel sections against
// the manifest, and a device does the same walk in a few lines of C, so this
// stays a bounded section skipper rather than a module parser.

import { decodeU32 } from "../wasm/leb128.js";

const WASM_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
// Names must be UTF-8 (as in the wasm spec and firmware/fwx_module_check.c): a
// lenient decoder would map different invalid names to the same U+FFFD string.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export class WasmSectionError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`wasm byte ${offset}: ${message}`);
    this.name = "WasmSectionError";
  }
}

/** Custom sections by name (payload views into `wasm`). A name that appears twice is an error: which one would count? */
export function customSections(wasm: Uint8Array): Map<string, Uint8Array> {
  for (let i = 0; i < WASM_HEADER.length; i++) {
    if (wasm[i] !== WASM_HEADER[i]) throw new WasmSectionError("not a wasm 1.0 module (bad magic or version)", Math.min(i, wasm.length));
  }
  const out = new Map<string, Uint8Array>();
  let pos = WASM_HEADER.length;
  const u32 = (at: number): [number, number] => {
    try {
      return decodeU32(wasm, at);
    } catch (e) {
      throw new WasmSectionError((e as Error).message, at);
    }
  };
  while (pos < wasm.length) {
    const sectionAt = pos;
    const id = wasm[pos++]!;
    const [size, n] = u32(pos);
    pos += n;
    if (size > wasm.length - pos) throw new WasmSectionError(`section ${id} of ${size} bytes runs past the end`, sectionAt);
    const end = pos + size;
    if (id === 0) {
      const [nameLen, m] = u32(pos);
      if (nameLen > end - pos - m) throw new WasmSectionError("custom section name runs past its section", pos);
      let name: string;
      try {
        name = utf8.decode(wasm.subarray(pos + m, pos + m + nameLen));
      } catch {
        throw new WasmSectionError("custom section name is not UTF-8", pos + m);
      }
      if (out.has(name)) throw new WasmSectionError(`custom section "${name}" appears twice`, sectionAt);
      out.set(name, wasm.subarray(pos + m + nameLen, end));
    }
    pos = end;
  }
  return out;
}
