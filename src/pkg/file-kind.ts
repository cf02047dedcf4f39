// What a file is, from its first bytes, for the error that says it is not the
// kind a command expected: a field tech who hands `fwx cert show` a package, or
// `fwx inspect` a .wasm, is told what they gave and which command takes it,
// instead of a CBOR or magic-number complaint about the wrong format.

import { RECORD_MAGIC } from "../agent/record-codec.js";
import { DELTA_MAGIC } from "../ota/delta.js";
import { WASM_MAGIC } from "../wasm/sections.js";
import { MAGIC as PACKAGE_MAGIC } from "./format.js";

const startsWith = (bytes: Uint8Array, prefix: ArrayLike<number>) =>
  bytes.length >= prefix.length && Array.prototype.every.call(prefix, (b: number, i: number) => bytes[i] === b);

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

/** The kinds fwx can tell by their first bytes, each with the command that reads it. */
const KINDS: { kind: string; magic: number[]; reader: string }[] = [
  { kind: "package", magic: [...PACKAGE_MAGIC], reader: "a .fwx package (fwx inspect shows it and its certificate, fwx verify checks it)" },
  { kind: "wasm", magic: WASM_MAGIC, reader: "a WebAssembly module (fwx validate checks it, fwx pack makes a package of it)" },
  { kind: "delta", magic: DELTA_MAGIC, reader: "a delta transfer, which only a device reads" },
  { kind: "recording", magic: ascii(RECORD_MAGIC), reader: "a recording (fwx replay runs it)" },
  { kind: "pem", magic: ascii("-----BEGIN"), reader: "a PEM key (what --root and the --...-key options take)" },
];

/**
 * What the file is, as a phrase to follow "it is ", when it is one of the
 * kinds above other than `expected`; null when it is unknown or is that kind
 * (the format's own error then says what is wrong inside it).
 */
export function otherFileKind(bytes: Uint8Array, expected: "package" | "certificate" | "wasm" | "recording"): string | null {
  const found = KINDS.find((k) => startsWith(bytes, k.magic));
  return found && found.kind !== expected ? found.reader : null;
}

/** Which of the kinds above the file is, from its first bytes; null when none. */
export function fileKindOf(bytes: Uint8Array): string | null {
  return KINDS.find((k) => startsWith(bytes, k.magic))?.kind ?? null;
}
