// firmware/fwx_abi.h: versions, status codes, capability ids, handle kinds,
// per-interface enums/flags/handles, and the fwx_hal_* prototypes the
// firmware implements. Printed from the LoweredAbi only.

import { generatedHeader } from "./header.js";
import type { LoweredAbi, LoweredFunction, LoweredInterface } from "./lower.js";
import {
  assertUniqueIdentifiers, blockComment, cHeaderClose, cHeaderOpen, capMacro, commentText, cString, enumCaseMacro, enumType, eventMacro, flagMacro,
  flagsMaskMacro, flagsType, halName, halParams, halReturnType, handleKindMacro, handleType, snake, statusMacro, upper,
  wrapComment,
} from "./emit-c-names.js";

export const HEADER_PATH = "firmware/fwx_abi.h";

function statusSection(abi: LoweredAbi, defined: string[]): string[] {
  const out = ["/* Status codes: every non-trapping ABI call returns one as its i32 result. */", "typedef enum fwx_status {"];
  abi.statusCodes.forEach((s, i) => {
    defined.push(statusMacro(s.name));
    out.push(...blockComment(`${s.name}: ${s.doc}`, "    "));
    out.push(`    ${statusMacro(s.name)} = ${s.value}${i === abi.statusCodes.length - 1 ? "" : ","}`);
  });
  out.push("} fwx_status_t;", "");
  return out;
}

function capabilitySection(abi: LoweredAbi, defined: string[]): string[] {
  for (const c of abi.capabilities) {
    if (c.id <= 0 || c.id > 31) throw new Error(`emit-c: capability ${c.name} has id ${c.id}; the C glue needs 1..31 (bit in fwx_module_t.granted)`);
  }
  const out = [
    "/* Capability kinds. fwx_module_t.granted holds FWX_CAP_BIT(id) per kind granted. */",
    "typedef enum fwx_cap {",
    "    FWX_CAP_NONE = 0,",
  ];
  defined.push("FWX_CAP_NONE");
  abi.capabilities.forEach((c, i) => {
    defined.push(capMacro(c.name));
    out.push(`    ${capMacro(c.name)} = ${c.id}${i === abi.capabilities.length - 1 ? "" : ","} /* ${commentText(c.doc)} Scope: ${commentText(c.scope)}. */`);
  });
  out.push("} fwx_cap_t;", "");
  return out;
}

function handleKindSection(abi: LoweredAbi, defined: string[]): string[] {
  const kinds = abi.interfaces.flatMap((i) => i.handles.map((h) => ({ iface: i.name, h })));
  const out = [
    "/* Handle kinds, as passed to fwx_hal_handle_owned(). Numbered in spec order: use the",
    " * names, the values are not stable across ABI versions (they never leave the firmware). */",
    "typedef enum fwx_handle_kind {",
    "    FWX_HANDLE_NONE = 0,",
  ];
  defined.push("FWX_HANDLE_NONE");
  kinds.forEach(({ iface, h }, i) => {
    defined.push(handleKindMacro(iface, h.name));
    out.push(`    ${handleKindMacro(iface, h.name)} = ${i + 1}${i === kinds.length - 1 ? "" : ","} /* ${commentText(h.doc)} */`);
  });
  out.push("} fwx_handle_kind_t;", "");
  return out;
}

function interfaceSection(iface: LoweredInterface, defined: string[]): string[] {
  const u = upper(iface.name);
  const out = [
    ...blockComment(`---- ${iface.module} ${iface.spec.version}: ${iface.spec.doc}`),
    `#define FWX_${u}_MODULE ${cString(iface.module)}`,
    `#define FWX_${u}_VERSION_MAJOR ${iface.major}u`,
    `#define FWX_${u}_VERSION_MINOR ${iface.minor}u`,
  ];
  defined.push(`FWX_${u}_MODULE`, `FWX_${u}_VERSION_MAJOR`, `FWX_${u}_VERSION_MINOR`);
  for (const e of iface.enums) {
    out.push(`/* ${commentText(e.doc)} */`, `typedef enum fwx_${iface.name}_${snake(e.name)} {`);
    e.cases.forEach((c, i) => {
      defined.push(enumCaseMacro(iface.name, e.name, c.name));
      out.push(`    ${enumCaseMacro(iface.name, e.name, c.name)} = ${c.value}${i === e.cases.length - 1 ? "" : ","} /* ${commentText(c.doc)} */`);
    });
    out.push(`} ${enumType(iface.name, e.name)};`);
    defined.push(enumType(iface.name, e.name));
  }
  for (const f of iface.flags) {
    out.push(`/* ${commentText(f.doc)} */`, `typedef uint32_t ${flagsType(iface.name, f.name)};`);
    defined.push(flagsType(iface.name, f.name));
    let mask = 0;
    for (const fl of f.flags) {
      if (fl.bit < 0 || fl.bit > 31) throw new Error(`emit-c: ${iface.name} flags ${f.name}.${fl.name}: bit ${fl.bit} outside 0..31`);
      mask = (mask | (1 << fl.bit)) >>> 0;
      defined.push(flagMacro(iface.name, f.name, fl.name));
      out.push(`#define ${flagMacro(iface.name, f.name, fl.name)} ((uint32_t)1u << ${fl.bit}) /* ${commentText(fl.doc)} */`);
    }
    defined.push(flagsMaskMacro(iface.name, f.name));
    out.push(`#define ${flagsMaskMacro(iface.name, f.name)} 0x${mask.toString(16)}u`);
  }
  for (const h of iface.handles) {
    defined.push(handleType(iface.name, h.name));
    out.push(`typedef uint32_t ${handleType(iface.name, h.name)}; /* ${commentText(h.doc)} */`);
  }
  for (const ev of iface.events) {
    defined.push(eventMacro(iface.name, ev.name));
    out.push(`#define ${eventMacro(iface.name, ev.name)} ${ev.kind}u /* fwx_on_event kind: ${commentText(ev.doc)} handle: ${ev.handle}; arg: ${commentText(ev.arg)} */`);
  }
  out.push("");
  return out;
}

function halPrototype(f: LoweredFunction): string[] {
  const out = ["/*", ` * ${f.module} ${f.name} ${f.wasm3Signature} (since ${f.spec.since})`];
  out.push(...wrapComment(f.spec.doc, " * "));
  for (const p of f.params) out.push(...wrapComment(`${p.spec.name} (${p.spec.type}): ${p.spec.doc}`, " *   "));
  for (const o of f.outputs) out.push(...wrapComment(`out ${o.spec.name} (${o.spec.type}): ${o.spec.doc}`, " *   "));
  if (f.capability) out.push(` * Capability: ${f.capability.name} (${capMacro(f.capability.name)}).`);
  if (f.resultKind === "status") {
    out.push(...wrapComment(`Returns: ${f.statuses.map(statusMacro).join(", ")}.`, " * "));
    for (const e of f.spec.errors) out.push(...wrapComment(`${statusMacro(e.code)}: ${e.when}`, " *   "));
  } else if (f.resultKind === "never") {
    out.push(" * Never returns to the module: the glue traps after this call.");
  }
  out.push(" */");
  const params = ["fwx_module_t *m", ...halParams(f)];
  out.push(`${halReturnType(f)} ${halName(f)}(${params.join(", ")});`, "");
  return out;
}

export function emitCHeader(abi: LoweredAbi): string {
  const [maj, min, patch] = abi.spec.version.split(".");
  const defined: string[] = ["FWX_ABI_VERSION_MAJOR", "FWX_ABI_VERSION_MINOR", "FWX_ABI_VERSION_PATCH", "FWX_ABI_VERSION", "FWX_ABI_SPEC_HASH", "FWX_ABI_SECTION_NAME"];
  const lines: string[] = [
    ...cHeaderOpen("FWX_ABI_H", ["stdbool.h", "stdint.h"]),
    `#define FWX_ABI_VERSION_MAJOR ${maj}u`,
    `#define FWX_ABI_VERSION_MINOR ${min}u`,
    `#define FWX_ABI_VERSION_PATCH ${patch}u`,
    `#define FWX_ABI_VERSION ${cString(abi.spec.version)}`,
    `#define FWX_ABI_SPEC_HASH "sha256:${abi.hash}"`,
    `/* Custom section naming the interfaces@major.minor a module needs. */`,
    `#define FWX_ABI_SECTION_NAME ${cString(abi.spec.customSection)}`,
    "",
    ...statusSection(abi, defined),
    ...capabilitySection(abi, defined),
    ...handleKindSection(abi, defined),
    ...abi.interfaces.flatMap((i) => interfaceSection(i, defined)),
    "/* Exports a module provides and the firmware calls (wasm signatures). */",
  ];
  for (const l of abi.lifecycle) {
    const macro = `FWX_EXPORT_${upper(l.spec.name.replace(/^fwx_/, ""))}`;
    defined.push(macro);
    lines.push(`#define ${macro} ${cString(l.spec.name)} /* ${l.signature}${l.spec.required ? ", required" : ""} */`);
  }
  lines.push(
    "",
    "/* The per-module context (fwx_module.h). Every HAL call receives it. */",
    "#ifndef FWX_MODULE_T_DEFINED",
    "#define FWX_MODULE_T_DEFINED",
    "typedef struct fwx_module fwx_module_t;",
    "#endif",
    "",
    "/*",
    " * HAL contract (implemented by the firmware, called only by the generated glue):",
    " * - Before a HAL call the glue has bounds-checked every pointer/length pair and",
    " *   out-pointer (trap), checked handle ownership with fwx_hal_handle_owned (trap),",
    " *   checked ranges, enum values, flag masks, bools and UTF-8 (FWX_INVALID_ARG) and,",
    " *   for functions that can return FWX_NOT_PERMITTED, that m->granted holds the",
    " *   capability kind. The HAL checks the scope of the grant (which pin, bus +",
    " *   address, topic) and everything else the spec's error list describes.",
    " * - Strings are UTF-8, `len` bytes, NOT NUL-terminated. Buffers point into the",
    " *   module's linear memory and are valid only during the call; they may overlap.",
    " *   The HAL must not call back into wasm (memory could move).",
    " * - Outputs point to glue variables that start with the bytes the module's",
    " *   out-slot holds (treat them as write-only). On FWX_OK every output is stored",
    " *   to the module; on another status only the outputs the HAL changed are",
    " *   (e.g. the needed length with FWX_NO_SPACE).",
    " */",
    "",
    "/* Whether handle `handle` of `kind` was issued to module m and is still open.",
    " * false makes the call trap with \"[trap] fwx: handle not owned by module\". */",
    "bool fwx_hal_handle_owned(fwx_module_t *m, fwx_handle_kind_t kind, uint32_t handle);",
    "",
  );
  for (const f of abi.functions) {
    defined.push(halName(f));
    lines.push(...halPrototype(f));
  }
  lines.push(...cHeaderClose("FWX_ABI_H"));
  assertUniqueIdentifiers(defined, HEADER_PATH);
  return generatedHeader("emit-c", "/*") + "/* fwx host ABI for firmware: constants, types and the HAL the firmware implements. */\n" + lines.join("\n");
}
