// The guest bindings for modules not written in AssemblyScript: a C header
// (emit-guest-c.ts) and a no_std Rust crate (emit-guest-rust.ts).
import type { Emitter } from "./emitter.js";
import { emitGuestCHeader, GUEST_C_PATH } from "./emit-guest-c.js";
import { emitGuestRust, GUEST_RUST_PATH } from "./emit-guest-rust.js";

export const emitGuest: Emitter = (abi) => [
  { path: GUEST_C_PATH, content: emitGuestCHeader(abi) },
  { path: GUEST_RUST_PATH, content: emitGuestRust(abi) },
];
