// firmware/fwx_abi_tables.{h,c}: the interfaces this firmware offers and every
// import it can satisfy, with wasm signatures. The install-time checker
// (fwx_module_check.c) validates a module's import section against these, so
// the tables carry no wasm3 types.

import { generatedHeader } from "./header.js";
import type { LoweredAbi, LoweredFunction } from "./lower.js";
import { WASM_TYPE_CHAR, type WasmType } from "./types.js";
import { assertUniqueIdentifiers, capMacro, cHeaderClose, cHeaderOpen, cString, importIndexMacro, statusMacro } from "./emit-c-names.js";

export const TABLES_H_PATH = "firmware/fwx_abi_tables.h";
export const TABLES_C_PATH = "firmware/fwx_abi_tables.c";

const valueChars = (types: readonly WasmType[]): string => types.map((t) => WASM_TYPE_CHAR[t]).join("");

function statusMask(abi: LoweredAbi, f: LoweredFunction): string {
  if (f.resultKind !== "status") return "0u";
  return f.statuses.map((name) => {
    const s = abi.statusByName.get(name)!;
    if (s.value > 31) throw new Error(`emit-c: status ${name} = ${s.value} does not fit the 32-bit status mask of ${f.module} ${f.name}`);
    return `FWX_STATUS_BIT(${statusMacro(name)})`;
  }).join(" | ");
}

export function emitCTablesHeader(abi: LoweredAbi): string {
  const fns = abi.functions;
  const indices = fns.map((f, i) => `    ${importIndexMacro(f)} = ${i}${i === fns.length - 1 ? "" : ","}`);
  assertUniqueIdentifiers(fns.map(importIndexMacro), TABLES_H_PATH);
  const lines = [
    ...cHeaderOpen("FWX_ABI_TABLES_H", ["stdbool.h", "stdint.h"], ["fwx_abi.h"]),
    `#define FWX_INTERFACE_COUNT ${abi.interfaces.length}u`,
    `#define FWX_IMPORT_COUNT ${fns.length}u`,
    `#define FWX_EXPORT_COUNT ${abi.lifecycle.length}u`,
    "#define FWX_STATUS_BIT(s) ((uint32_t)1u << (uint32_t)(s))",
    "",
    "/* An interface this firmware offers, as fwx:<name>@<major> at <major>.<minor>. */",
    "typedef struct fwx_interface_desc {",
    "    const char *module;  /* wasm import module, \"fwx:gpio@1\" */",
    "    const char *name;    /* \"gpio\", as in the fwx.abi section */",
    "    uint16_t major;",
    "    uint16_t minor;",
    "} fwx_interface_desc_t;",
    "",
    "/* Wasm value types are spelled one char each: i i32, I i64, f f32, F f64. */",
    "typedef struct fwx_import_desc {",
    "    const char *module;          /* wasm import module */",
    "    const char *name;            /* wasm import field */",
    "    const char *params;          /* parameter types */",
    "    const char *results;         /* result types (\"\" for none) */",
    "    const char *wasm3_signature; /* for m3_LinkRawFunction, '*' marking pointers */",
    "    uint8_t iface;               /* index into fwx_interfaces */",
    "    uint8_t since_minor;         /* interface minor that introduced it */",
    "    uint8_t capability;          /* fwx_cap_t, FWX_CAP_NONE when ungated */",
    "    uint32_t statuses;           /* FWX_STATUS_BIT of each status it may return */",
    "} fwx_import_desc_t;",
    "",
    "/* An export the firmware calls (lifecycle). */",
    "typedef struct fwx_export_desc {",
    "    const char *name;",
    "    const char *params;",
    "    const char *results;",
    "    bool required;",
    "} fwx_export_desc_t;",
    "",
    "/* Index of each ABI function in fwx_imports[]. */",
    "enum fwx_import_index {",
    ...indices,
    "};",
    "",
    "extern const fwx_interface_desc_t fwx_interfaces[FWX_INTERFACE_COUNT];",
    "extern const fwx_import_desc_t fwx_imports[FWX_IMPORT_COUNT];",
    "extern const fwx_export_desc_t fwx_exports[FWX_EXPORT_COUNT];",
    "",
    ...cHeaderClose("FWX_ABI_TABLES_H"),
  ];
  return generatedHeader("emit-c", "/*") + "/* Tables of the interfaces, imports and exports of the fwx host ABI. */\n" + lines.join("\n");
}

export function emitCTablesSource(abi: LoweredAbi): string {
  const ifaceIndex = new Map(abi.interfaces.map((i, n) => [i.name, n]));
  const lines = [
    '#include "fwx_abi_tables.h"',
    "",
    "const fwx_interface_desc_t fwx_interfaces[FWX_INTERFACE_COUNT] = {",
    ...abi.interfaces.map((i) => `    { ${cString(i.module)}, ${cString(i.name)}, ${i.major}u, ${i.minor}u },`),
    "};",
    "",
    "const fwx_import_desc_t fwx_imports[FWX_IMPORT_COUNT] = {",
  ];
  for (const f of abi.functions) {
    const minor = Number(f.spec.since.split(".")[1]);
    if (minor > 255) throw new Error(`emit-c: ${f.module} ${f.name}: minor ${minor} does not fit a uint8_t`);
    lines.push(
      `    { ${cString(f.module)}, ${cString(f.name)}, "${valueChars(f.flat.params.map((p) => p.type))}", "${valueChars(f.flat.results)}", ${cString(f.wasm3Signature)},`,
      `      ${ifaceIndex.get(f.iface)}u, ${minor}u, ${f.capability ? capMacro(f.capability.name) : "FWX_CAP_NONE"}, ${statusMask(abi, f)} },`,
    );
  }
  lines.push("};", "", "const fwx_export_desc_t fwx_exports[FWX_EXPORT_COUNT] = {");
  for (const l of abi.lifecycle) {
    lines.push(`    { ${cString(l.spec.name)}, "${valueChars(l.flat.params)}", "${valueChars(l.flat.results)}", ${l.spec.required ? "true" : "false"} },`);
  }
  lines.push("};", "");
  return generatedHeader("emit-c", "/*") + lines.join("\n");
}
