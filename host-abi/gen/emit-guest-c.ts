// guest/c/fwx_guest.h: the bindings a module written in C includes (clang
// --target=wasm32). One declaration per ABI function with its wasm import
// module and name, the status codes, enums, flags, handles and event kinds,
// and the lifecycle exports' prototypes. Printed from the LoweredAbi only;
// every name comes from emit-c-names.ts, so the guest and the firmware spell
// FWX_OK or FWX_GPIO_PIN_MODE_OUTPUT the same way.
//
// Types at the boundary are the wasm ones: a pointer and a uint32_t length
// per string or buffer (guest memory offsets, as wasm32 pointers are), an
// out-value through a pointer to its 4- or 8-byte slot, a status as int32_t
// (an enum's size is the compiler's choice; the ABI's is not).
import { generatedHeader } from "./header.js";
import type { LoweredAbi, LoweredFunction, LoweredInterface, LoweredLifecycle, LoweredOutput } from "./lower.js";
import {
  assertUniqueIdentifiers, blockComment, cHeaderClose, cHeaderOpen, cParamName, cString, cValueType, commentText, enumCaseMacro, enumType, eventMacro,
  flagMacro, flagsMaskMacro, flagsType, handleType, statusMacro, upper, wrapComment,
} from "./emit-c-names.js";
import type { RichType } from "./types.js";

export const GUEST_C_PATH = "guest/c/fwx_guest.h";

const STORE_C: Record<LoweredOutput["store"], string> = { u32: "uint32_t", i32: "int32_t", u64: "uint64_t", i64: "int64_t", f32: "float", f64: "double" };

/** The guest's C name of an ABI function: `fwx_<interface>_<name>`. */
export const guestFunctionName = (f: LoweredFunction): string => `fwx_${f.symbol}`;

/** The C type of an out-slot: the handle type for handles, else the slot's own width (a bool or enum slot is 4 bytes). */
function outputType(o: LoweredOutput, iface: string): string {
  return o.type.kind === "handle" ? handleType(iface, o.type.name) : STORE_C[o.store];
}

function valueType(t: RichType, iface: string): string {
  // bool travels as an i32 0/1, which C's bool is at a call boundary too.
  return cValueType(t, iface);
}

function params(f: LoweredFunction): string[] {
  const where = `${f.module} ${f.name}`;
  const out: string[] = [];
  for (const p of f.params) {
    const n = cParamName(p.spec.name, where);
    switch (p.marshal.kind) {
      case "string": out.push(`const char *${n}`, `uint32_t ${n}_len`); break;
      case "buffer": out.push(`const void *${n}`, `uint32_t ${n}_len`); break;
      case "mut-buffer": out.push(`void *${n}`, `uint32_t ${n}_cap`); break;
      default: out.push(`${valueType(p.type, f.iface)} ${n}`);
    }
  }
  for (const o of f.outputs) out.push(`${outputType(o, f.iface)} *${cParamName(o.spec.name, where)}`);
  return out.length ? out : ["void"];
}

function resultType(f: LoweredFunction): string {
  if (f.resultKind === "status") return "int32_t";
  if (f.resultKind === "never") return "void";
  return valueType(f.resultType!, f.iface);
}

function functionDecl(f: LoweredFunction, abi: LoweredAbi): string[] {
  const out = ["/*", ` * ${f.module} ${f.name}, since ${f.spec.since}: wasm ${f.signature}`];
  out.push(...wrapComment(f.spec.doc, " * "));
  for (const p of f.params) out.push(...wrapComment(`${p.spec.name} (${p.spec.type}): ${p.spec.doc}`, " *   "));
  for (const o of f.outputs) out.push(...wrapComment(`out ${o.spec.name} (${o.spec.type}, ${o.size} bytes): ${o.spec.doc} Written only on FWX_OK.`, " *   "));
  if (f.resultKind === "status") {
    out.push(...wrapComment(`Returns FWX_OK (0)${f.spec.errors.length ? " or:" : "; this call has no recoverable failure."}`, " * "));
    for (const e of f.spec.errors) out.push(...wrapComment(`${statusMacro(e.code)} (${abi.statusByName.get(e.code)!.value}): ${e.when}`, " *   "));
  } else if (f.resultKind === "value") {
    out.push(...wrapComment(`Returns ${f.spec.result}.`, " * "));
  } else {
    out.push(" * Never returns: the host ends the callback.");
  }
  for (const t of f.spec.traps ?? []) out.push(...wrapComment(`Traps when ${t}.`, " * "));
  out.push(f.capability ? ` * Capability: ${commentText(f.capability.name)} (scoped by ${commentText(f.capability.scope)}).` : " * Needs no capability.");
  out.push(" */");
  const noreturn = f.resultKind === "never" ? "FWX_NORETURN " : "";
  out.push(`FWX_IMPORT(${cString(f.module)}, ${cString(f.name)}) ${noreturn}${resultType(f)} ${guestFunctionName(f)}(${params(f).join(", ")});`, "");
  return out;
}

function interfaceTypes(iface: LoweredInterface, defined: string[]): string[] {
  const u = upper(iface.name);
  const out = [...blockComment(`---- ${iface.module} ${iface.spec.version}: ${iface.spec.doc}`)];
  out.push(`#define FWX_${u}_MODULE ${cString(iface.module)}`);
  defined.push(`FWX_${u}_MODULE`);
  for (const e of iface.enums) {
    out.push(`/* ${commentText(e.doc)} (since ${e.since}) */`, `typedef uint32_t ${enumType(iface.name, e.name)};`);
    defined.push(enumType(iface.name, e.name));
    for (const c of e.cases) {
      defined.push(enumCaseMacro(iface.name, e.name, c.name));
      out.push(`#define ${enumCaseMacro(iface.name, e.name, c.name)} ${c.value}u /* ${commentText(c.doc)} */`);
    }
  }
  for (const f of iface.flags) {
    out.push(`/* ${commentText(f.doc)} Combine with |. (since ${f.since}) */`, `typedef uint32_t ${flagsType(iface.name, f.name)};`);
    defined.push(flagsType(iface.name, f.name), flagsMaskMacro(iface.name, f.name));
    let mask = 0;
    for (const fl of f.flags) {
      mask = (mask | (1 << fl.bit)) >>> 0;
      defined.push(flagMacro(iface.name, f.name, fl.name));
      out.push(`#define ${flagMacro(iface.name, f.name, fl.name)} ((uint32_t)1u << ${fl.bit}) /* ${commentText(fl.doc)} */`);
    }
    out.push(`#define ${flagsMaskMacro(iface.name, f.name)} 0x${mask.toString(16)}u`);
  }
  for (const h of iface.handles) {
    defined.push(handleType(iface.name, h.name));
    out.push(`typedef uint32_t ${handleType(iface.name, h.name)}; /* ${commentText(h.doc)} (since ${h.since}) */`);
  }
  for (const ev of iface.events) {
    defined.push(eventMacro(iface.name, ev.name));
    out.push(`#define ${eventMacro(iface.name, ev.name)} ${ev.kind}u /* fwx_on_event kind, since ${ev.since}: ${commentText(ev.doc)} handle: ${ev.handle}; arg: ${commentText(ev.arg)} */`);
  }
  out.push("");
  return out;
}

function lifecycleDecl(l: LoweredLifecycle): string[] {
  const ps = l.spec.params.map((p) => `uint32_t ${cParamName(p.name, l.spec.name)}`);
  const result = l.spec.result === "none" ? "void" : "int32_t";
  return [
    ...blockComment(`${l.spec.name}${l.spec.required ? " (required)" : ""}, since ${l.spec.since}: ${l.spec.doc}`),
    ...l.spec.params.map((p) => `/*   ${p.name}: ${commentText(p.doc)} */`),
    `FWX_EXPORT(${cString(l.spec.name)}) ${result} ${l.spec.name}(${ps.length ? ps.join(", ") : "void"});`,
    "",
  ];
}

export function emitGuestCHeader(abi: LoweredAbi): string {
  const defined: string[] = ["FWX_GUEST_H", "FWX_ABI_VERSION", "FWX_IMPORT", "FWX_EXPORT", "FWX_NORETURN"];
  const lines: string[] = [
    "/*",
    " * The fwx host ABI for modules written in C: include this file and build with",
    " *   clang --target=wasm32 -nostdlib -Oz -Wl,--no-entry -Wl,--export=__heap_base \\",
    " *         -Wl,--export=__data_end -Wl,-z,stack-size=4096 -Wl,--stack-first",
    " * (docs/modules-c-rust.md explains each flag). Every function is a wasm import;",
    " * pointers are offsets in this module's own memory, and the host never hands the",
    " * module memory of its own.",
    " */",
    ...cHeaderOpen("FWX_GUEST_H", ["stdbool.h", "stdint.h"]),
    `#define FWX_ABI_VERSION ${cString(abi.spec.version)}`,
    "#define FWX_IMPORT(module, name) __attribute__((import_module(module), import_name(name)))",
    "#define FWX_EXPORT(name) __attribute__((export_name(name)))",
    "#define FWX_NORETURN __attribute__((noreturn))",
    "",
    "/* Status codes: every call that can fail recoverably returns one (int32_t). */",
  ];
  for (const s of abi.statusCodes) {
    defined.push(statusMacro(s.name));
    lines.push(`#define ${statusMacro(s.name)} ${s.value} /* ${commentText(s.name)}: ${commentText(s.doc)} */`);
  }
  lines.push("", ...abi.interfaces.flatMap((i) => interfaceTypes(i, defined)));
  for (const i of abi.interfaces) {
    for (const f of i.functions) {
      defined.push(guestFunctionName(f));
      lines.push(...functionDecl(f, abi));
    }
  }
  lines.push("/* Exports the host calls. Define the required ones; the prototypes give them their export names. */", "");
  for (const l of abi.lifecycle) {
    defined.push(l.spec.name);
    lines.push(...lifecycleDecl(l));
  }
  lines.push(...cHeaderClose("FWX_GUEST_H"));
  assertUniqueIdentifiers(defined, GUEST_C_PATH);
  return `${generatedHeader("emit-guest-c", "/*")}${lines.join("\n")}`;
}
