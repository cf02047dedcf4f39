// firmware/ports/posix/fwx_hal_bridge.c: the peripheral fwx_hal_* functions
// of the POSIX reference device, each one request frame and one reply frame
// to `fwx board serve` (fwx_bridge.c carries them). Prints the wire format
// bridge-wire.ts derives from the lowered ABI; decides nothing itself.

import { BRIDGE_MAX_BUFFER, BRIDGE_MAX_FRAME, isBridged, linkFailureStatus, wireOutput, wireParam } from "./bridge-wire.js";
import { generatedHeader } from "./header.js";
import type { LoweredAbi, LoweredFunction } from "./lower.js";
import { blockComment, cParamName, cValueType, halName, halParams, importIndexMacro, statusMacro } from "./emit-c-names.js";

export const BRIDGE_C_PATH = "firmware/ports/posix/fwx_hal_bridge.c";

/** The fixed bytes of a call frame (header, function, device time) and of each field. */
const CALL_FIXED = 8 + 4 + 8;

function bridgeFunction(f: LoweredFunction): string[] {
  const where = `${f.module} ${f.name}`;
  const n = (name: string) => cParamName(name, where);
  const failStatus = linkFailureStatus(f);
  const fail = failStatus ? `return ${statusMacro(failStatus)};` : `{ fwx_bridge_unreportable("${f.iface}.${f.name}"); return FWX_OK; }`;
  const buffers = f.params.filter((p) => p.flat.length === 2);
  if (CALL_FIXED + buffers.length * (4 + BRIDGE_MAX_BUFFER) + f.params.length * 8 > BRIDGE_MAX_FRAME) {
    throw new Error(`emit-c-bridge: ${where}: ${buffers.length} full buffers do not fit a ${BRIDGE_MAX_FRAME}-byte frame`);
  }
  const body: string[] = ["fwx_bridge_msg_t w, r;", "uint32_t st;"];
  // Longer buffers than a frame carries: `other` where the function can say
  // so; otherwise the function takes "up to" its length, so the bridge
  // passes the first FWX_BRIDGE_MAX_BUFFER bytes (docs/hal-bridge.md).
  for (const p of buffers) {
    const len = `${n(p.spec.name)}_${p.marshal.kind === "mut-buffer" ? "cap" : "len"}`;
    if (f.statuses.includes("other")) body.push(`if (${len} > FWX_BRIDGE_MAX_BUFFER) return FWX_OTHER;`);
    else body.push(`if (${len} > FWX_BRIDGE_MAX_BUFFER) ${len} = FWX_BRIDGE_MAX_BUFFER;`);
  }
  body.push(`if (!fwx_bridge_begin_call(&w, m, (uint16_t)${importIndexMacro(f)})) ${fail}`);
  for (const p of f.params) {
    const w = wireParam(p);
    const v = n(p.spec.name);
    switch (w.wire) {
      case "u32":
        body.push(`fwx_bridge_put_u32(&w, ${p.type.kind === "bool" ? `${v} ? 1u : 0u` : p.type.kind === "scalar" && p.type.scalar.startsWith("i") ? `(uint32_t)(int32_t)${v}` : `(uint32_t)${v}`});`);
        break;
      case "u64": body.push(`fwx_bridge_put_u64(&w, (uint64_t)${v});`); break;
      case "f32": body.push(`fwx_bridge_put_u32(&w, fwx_f32_bits(${v}));`); break;
      case "f64": body.push(`fwx_bridge_put_u64(&w, fwx_f64_bits(${v}));`); break;
      case "bytes": body.push(`fwx_bridge_put_bytes(&w, ${v}, ${v}_len);`); break;
      // The buffer's current bytes go along, so what the board leaves unwritten comes back unchanged.
      case "capacity": body.push(`fwx_bridge_put_bytes(&w, ${v}, ${v}_cap);`); break;
    }
  }
  body.push(`if (!fwx_bridge_transact(&w, &r)) ${fail}`, "st = fwx_bridge_get_u32(&r);");
  f.outputs.forEach((o, i) => {
    body.push(`const bool set${i} = fwx_bridge_get_u8(&r) != 0u;`);
    body.push(wireOutput(o) === "u64" || wireOutput(o) === "f64" ? `const uint64_t bits${i} = fwx_bridge_get_u64(&r);` : `const uint32_t bits${i} = fwx_bridge_get_u32(&r);`);
  });
  const mutable = f.params.filter((p) => p.marshal.kind === "mut-buffer");
  for (const p of mutable) body.push(`const uint8_t *back_${n(p.spec.name)} = fwx_bridge_get_bytes(&r, ${n(p.spec.name)}_cap);`);
  body.push(`if (!fwx_bridge_reply_done(&r, (uint16_t)${importIndexMacro(f)}, st)) ${fail}`);
  // Only after the whole reply checked out does anything reach the module's memory.
  for (const p of mutable) body.push(`if (${n(p.spec.name)}_cap > 0u) memcpy(${n(p.spec.name)}, back_${n(p.spec.name)}, ${n(p.spec.name)}_cap);`);
  f.outputs.forEach((o, i) => {
    const out = n(o.spec.name);
    let value: string;
    if (o.type.kind === "bool") value = `bits${i} != 0u`;
    else if (o.store === "f32") value = `fwx_f32_of(bits${i})`;
    else if (o.store === "f64") value = `fwx_f64_of(bits${i})`;
    else if (o.store === "i64") value = `fwx_i64_of(bits${i})`;
    else if (o.store === "i32") value = `(int32_t)fwx_i32_of(bits${i})`;
    else value = `bits${i}`;
    body.push(`if (set${i}) *${out} = (${cValueType(o.type, f.iface)})(${value});`);
  });
  body.push("return (fwx_status_t)st;");
  const params = halParams(f);
  const typed = body;
  return [
    ...blockComment(`${f.module} ${f.name}: over the bridge.`),
    `fwx_status_t ${halName(f)}(${["fwx_module_t *m", ...params].join(", ")})`,
    "{",
    ...typed.map((l) => `    ${l}`),
    "}",
    "",
  ];
}

export function emitCBridge(abi: LoweredAbi): string {
  const fns = abi.functions.filter(isBridged);
  const lines = [
    "#include <string.h>",
    "",
    '#include "fwx_abi.h"',
    '#include "fwx_abi_tables.h"',
    '#include "fwx_bridge.h"',
    '#include "fwx_guest_memory.h"',
    "",
    ...fns.flatMap(bridgeFunction),
  ];
  return generatedHeader("emit-c", "/*")
    + "/* The peripheral HAL of the POSIX reference device: every call goes to `fwx board serve` (docs/hal-bridge.md). */\n"
    + lines.join("\n");
}
