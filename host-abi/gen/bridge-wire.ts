// The HAL bridge's wire format, derived from the lowered ABI: how each rich
// parameter and output of a bridged function travels in a frame. The C side
// (emit-c-bridge.ts -> firmware/ports/posix/fwx_hal_bridge.c) and the Node
// side (src/sim/bridge-server.ts) both read it from here, so they cannot
// disagree. The frame layout itself is in docs/hal-bridge.md.

import type { LoweredFunction, LoweredOutput, LoweredParam } from "./lower.js";

/** Interfaces whose HAL functions a POSIX device takes from the bridge: the board's peripherals. */
export const BRIDGED_INTERFACES: readonly string[] = ["sensor", "gpio", "adc", "pwm", "i2c", "spi", "uart"];

/** Protocol version, sent in the hello frame; a mismatch closes the link. */
export const BRIDGE_VERSION = 1;
/** Largest frame body either side accepts (after the 4-byte length): two full buffers and the fixed fields. */
export const BRIDGE_MAX_FRAME = 8448;
/** Largest string/buffer/mut-buffer the bridge carries; see docs/hal-bridge.md for longer ones. */
export const BRIDGE_MAX_BUFFER = 4096;
/** Longest module id and grant (capabilities JSON) an attach frame carries. */
export const BRIDGE_MAX_MODULE_ID = 64;
export const BRIDGE_MAX_CAPS_JSON = 2048;

/** Frame types (first byte of a body). */
export const FRAME = {
  hello: 1, helloOk: 2, attach: 3, attachOk: 4, detach: 5, detachOk: 6,
  call: 7, reply: 8, owned: 9, ownedReply: 10, event: 11, error: 12,
} as const;

export type WireValue = "u32" | "u64" | "f32" | "f64";
export type WireParam = { name: string; wire: WireValue } | { name: string; wire: "bytes" } | { name: string; wire: "capacity" };

export function wireParam(p: LoweredParam): WireParam {
  const m = p.marshal;
  switch (m.kind) {
    case "int": return { name: p.spec.name, wire: m.wasm === "i64" ? "u64" : "u32" };
    case "float": return { name: p.spec.name, wire: m.scalar };
    case "bool": case "enum": case "flags": case "handle": return { name: p.spec.name, wire: "u32" };
    case "string": case "buffer": return { name: p.spec.name, wire: "bytes" };
    case "mut-buffer": return { name: p.spec.name, wire: "capacity" };
  }
}

export function wireOutput(o: LoweredOutput): WireValue {
  switch (o.store) {
    case "u64": case "i64": return "u64";
    case "f32": return "f32";
    case "f64": return "f64";
    default: return "u32";
  }
}

export function isBridged(f: LoweredFunction): boolean {
  return BRIDGED_INTERFACES.includes(f.iface) && f.resultKind === "status";
}

/**
 * The status a bridged function returns when the link to the board fails
 * (closed, malformed reply, a status the function may not return): the
 * first of these the function documents. A function documenting none of
 * them cannot report it, and the link-lost handler must not return.
 */
const LINK_FAILURE_STATUSES = ["other", "timeout", "busy"];
export function linkFailureStatus(f: LoweredFunction): string | null {
  return LINK_FAILURE_STATUSES.find((s) => f.statuses.includes(s)) ?? null;
}
