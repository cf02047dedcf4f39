// firmware/fwx_abi_wasm3.{h,c}: one wasm3 raw function per ABI function and
// fwx_link(). Each raw function makes the checks of the lowered plan
// (f.checks, decided in check-plan.ts) in the plan's order before the HAL sees
// anything: memory and out-pointers (trap), handles (trap), values
// (FWX_INVALID_ARG), the capability kind (FWX_NOT_PERMITTED); then calls the HAL, re-reads the memory base (it may have moved) and stores
// the outputs little-endian.

import { generatedHeader } from "./header.js";
import type { TrapReason } from "./check-plan.js";
import type { LoweredAbi, LoweredFunction, LoweredParam } from "./lower.js";
import {
  blockComment, capMacro, cHeaderClose, cHeaderOpen, cValueType, enumType, flagsMaskMacro, flagsType, halName, handleKindMacro,
  handleType, outputCodec, rawName, snake,
} from "./emit-c-names.js";

export const WASM3_H_PATH = "firmware/fwx_abi_wasm3.h";
export const WASM3_C_PATH = "firmware/fwx_abi_wasm3.c";

/** How a function that never returns traps. Only these are known; a new one must say how it traps. */
const NEVER_TRAPS: Record<string, (f: LoweredFunction) => string> = {
  core_abort: (f) => {
    const names = f.params.map((p) => `${p.spec.name}:${p.spec.type}`).join(",");
    if (names !== "message:string,file:string,line:u32,column:u32") throw new Error(`emit-c: core.abort changed shape (${names}); update its trap text in emit-c-wasm3.ts`);
    return "fwx_abort_trap(m, fwx_guest_ptr(base, a_message_ptr), a_message_len, fwx_guest_ptr(base, a_file_ptr), a_file_len, a_line, a_column)";
  },
  core_fuel_exhausted: () => "fwx_trap_fuel_exhausted",
};

/** The wasm3 trap each trap reason of the plan returns. */
const TRAP_SYMBOL: Record<TrapReason, string> = {
  "out-of-bounds": "fwx_trap_out_of_bounds",
  "foreign-handle": "fwx_trap_handle_not_owned",
};

interface Local { decl: string; name: string }

/** The C local holding one flat wasm argument, typed for its checks. */
function argLocal(p: LoweredParam, flatIndex: number, slot: number): Local {
  const flat = p.flat[flatIndex]!;
  const name = `a_${snake(flat.name)}`;
  const m = p.marshal;
  if (m.kind === "int") {
    if (m.scalar === "u64") return { name, decl: `const uint64_t ${name} = fwx_slot_u64(sp, ${slot}u);` };
    if (m.scalar === "i64") return { name, decl: `const int64_t ${name} = fwx_slot_i64(sp, ${slot}u);` };
    if (m.scalar.startsWith("i")) return { name, decl: `const int32_t ${name} = fwx_slot_i32(sp, ${slot}u);` };
  }
  if (m.kind === "float") {
    return m.scalar === "f32"
      ? { name, decl: `const float ${name} = fwx_slot_f32(sp, ${slot}u);` }
      : { name, decl: `const double ${name} = fwx_slot_f64(sp, ${slot}u);` };
  }
  return { name, decl: `const uint32_t ${name} = fwx_slot_u32(sp, ${slot}u);` };
}

/** The condition under which a checked parameter is invalid, or null if unchecked. */
function invalidCondition(p: LoweredParam, f: LoweredFunction): string | null {
  const a = `a_${snake(p.flat[0]!.name)}`;
  const m = p.marshal;
  switch (m.kind) {
    case "int":
      if (!m.range) return null;
      return m.range[0] === 0 ? `${a} > 0x${m.range[1].toString(16)}u` : `${a} < ${m.range[0]} || ${a} > ${m.range[1]}`;
    case "bool": return `${a} > 1u`;
    case "enum": {
      const values = [...m.values].sort((x, y) => x - y);
      const lo = values[0]!, hi = values[values.length - 1]!;
      const contiguous = values.every((v, i) => v === lo + i);
      if (contiguous) return lo === 0 ? `${a} > ${hi}u` : `${a} < ${lo}u || ${a} > ${hi}u`;
      return `!(${values.map((v) => `${a} == ${v}u`).join(" || ")})`;
    }
    case "flags": return `(${a} & ~(uint32_t)${flagsMaskMacro(f.iface, m.name)}) != 0u`;
    case "string": return `!fwx_utf8_valid(fwx_guest_ptr(base, ${a}), a_${snake(p.flat[1]!.name)})`;
    default: return null;
  }
}

/** The HAL argument expressions for one rich parameter. */
function halArgs(p: LoweredParam, f: LoweredFunction): string[] {
  const a = (i: number) => `a_${snake(p.flat[i]!.name)}`;
  const m = p.marshal;
  switch (m.kind) {
    case "int":
      // Narrow integers arrive widened to 32 bits and range-checked; the HAL takes its own C type.
      return m.range ? [`(${cValueType(p.type, f.iface)})${a(0)}`] : [a(0)];
    case "float": return [a(0)];
    case "bool": return [`${a(0)} != 0u`];
    case "enum": return [`(${enumType(f.iface, m.name)})${a(0)}`];
    case "flags": return [`(${flagsType(f.iface, m.name)})${a(0)}`];
    case "handle": return [`(${handleType(f.iface, m.name)})${a(0)}`];
    case "string": return [`(const char *)fwx_guest_ptr(base, ${a(0)})`, a(1)];
    case "buffer": case "mut-buffer": return [`fwx_guest_ptr(base, ${a(0)})`, a(1)];
  }
}

function resultStore(f: LoweredFunction, value: string): string {
  const t = f.resultType!;
  if (t.kind === "scalar") {
    switch (t.scalar) {
      case "u64": return `fwx_slot_set_u64(sp, 0u, ${value});`;
      case "i64": return `fwx_slot_set_u64(sp, 0u, (uint64_t)${value});`;
      case "f64": return `fwx_slot_set_u64(sp, 0u, fwx_f64_bits(${value}));`;
      case "f32": return `fwx_slot_set_u32(sp, 0u, fwx_f32_bits(${value}));`;
      default: return t.scalar.startsWith("i") ? `fwx_slot_set_u32(sp, 0u, (uint32_t)(int32_t)${value});` : `fwx_slot_set_u32(sp, 0u, (uint32_t)${value});`;
    }
  }
  if (t.kind === "bool") return `fwx_slot_set_u32(sp, 0u, ${value} ? 1u : 0u);`;
  return `fwx_slot_set_u32(sp, 0u, (uint32_t)${value});`;
}

function rawFunction(f: LoweredFunction): string[] {
  const where = `${f.module} ${f.name}`;
  const never = f.resultKind === "never" ? NEVER_TRAPS[f.symbol] : undefined;
  if (f.resultKind === "never" && !never) throw new Error(`emit-c: ${where}: never-returning function without a trap mapping in emit-c-wasm3.ts`);

  const firstArgSlot = f.flat.results.length;
  const locals: Local[] = [];
  let slot = firstArgSlot;
  for (const p of f.params) p.flat.forEach((_, i) => locals.push(argLocal(p, i, slot++)));
  for (const o of f.outputs) locals.push({ name: `a_${o.pointer}`, decl: `const uint32_t a_${o.pointer} = fwx_slot_u32(sp, ${slot++}u);` });
  const usesMemory = f.flat.params.some((p) => p.pointer);

  const body: string[] = [];
  body.push("fwx_module_t *const m = (fwx_module_t *)ctx->userdata;");
  body.push(...locals.map((l) => l.decl));
  if (usesMemory) body.push("uint32_t size = 0u;", "uint8_t *base = fwx_memory(runtime, &size);");
  if (f.resultKind === "status") body.push("fwx_status_t st;");
  const unused = ["mem", ...(usesMemory ? [] : ["runtime"]), ...(locals.length || f.resultKind !== "never" ? [] : ["sp"])];
  body.push(unused.map((u) => `(void)${u};`).join(" "));

  // The checks, in the lowered plan's order (host-abi/gen/check-plan.ts).
  // Value checks of a function that never returns trap as it would anyway,
  // without handing the bad value to the HAL.
  const trapValues: string[] = [];
  for (const c of f.checks) {
    switch (c.step) {
      case "trap": {
        const sym = TRAP_SYMBOL[c.trap];
        if (c.check === "bounds") body.push(`if (!fwx_range_ok(size, a_${snake(c.param.flat[0]!.name)}, a_${snake(c.param.flat[1]!.name)})) return ${sym};`);
        else if (c.check === "out-pointer") body.push(`if (!fwx_range_ok(size, a_${c.output.pointer}, ${c.output.size}u)) return ${sym};`);
        else if (c.param.marshal.kind === "handle") body.push(`if (!fwx_hal_handle_owned(m, ${handleKindMacro(f.iface, c.param.marshal.name)}, a_${snake(c.param.flat[0]!.name)})) return ${sym};`);
        break;
      }
      case "value": {
        const bad = invalidCondition(c.param, f);
        if (bad === null) throw new Error(`emit-c: ${where}: the plan checks ${c.param.spec.name} but emit-c-wasm3.ts has no condition for ${c.param.marshal.kind}`);
        if (c.onFail === "trap") trapValues.push(bad);
        else body.push(`if (${bad}) return fwx_return_status(sp, FWX_INVALID_ARG);`);
        break;
      }
      case "capability":
        if (trapValues.length) throw new Error(`emit-c: ${where}: a capability gate after trapping value checks`);
        body.push(`if ((m->granted & FWX_CAP_BIT(${capMacro(c.capability.name)})) == 0u) return fwx_return_status(sp, FWX_NOT_PERMITTED);`);
        break;
      case "implementation":
        break;
    }
  }
  if (trapValues.length) {
    if (!never) throw new Error(`emit-c: ${where}: trapping value checks on a function that returns`);
    body.push(`if (${trapValues.map((c) => `(${c})`).join(" || ")}) return ${never(f)};`);
  }

  const args = ["m", ...f.params.flatMap((p) => halArgs(p, f)), ...f.outputs.map((o) => `&o_${snake(o.spec.name)}`)];
  const call = `${halName(f)}(${args.join(", ")})`;
  if (never) {
    // The trap text is built before the HAL runs, from memory the checks
    // above validated, so nothing depends on memory staying put.
    body.push(`{`, `    const void *trap = ${never(f)};`, `    ${call};`, `    return trap;`, `}`);
  } else if (f.resultKind === "value") {
    body.push(`${resultStore(f, call)}`, "return NULL;");
  } else {
    for (const o of f.outputs) {
      const c = outputCodec(o, f.iface);
      const n = `o_${snake(o.spec.name)}`;
      body.push(`${c.ctype} ${n} = ${c.load(`base + a_${o.pointer}`)};`, `const ${c.ctype} ${n}_was = ${n};`);
    }
    body.push(`st = ${call};`);
    if (f.outputs.length) {
      body.push("/* The HAL may have let the module's memory grow and move: re-derive it. */", "base = fwx_memory(runtime, &size);");
      for (const o of f.outputs) body.push(`if (!fwx_range_ok(size, a_${o.pointer}, ${o.size}u)) return fwx_trap_out_of_bounds;`);
      for (const o of f.outputs) {
        const c = outputCodec(o, f.iface);
        const n = `o_${snake(o.spec.name)}`;
        const store = o.size === 8 ? "fwx_store_u64" : "fwx_store_u32";
        body.push(`if (st == FWX_OK || ${c.encode(n)} != ${c.encode(`${n}_was`)}) ${store}(base + a_${o.pointer}, ${c.encode(n)});`);
      }
    }
    body.push("return fwx_return_status(sp, st);");
  }
  return [
    ...blockComment(`${f.module} ${f.name} ${f.wasm3Signature}`),
    `static const void *${rawName(f)}(IM3Runtime runtime, IM3ImportContext ctx, uint64_t *sp, void *mem)`,
    "{",
    ...body.map((l) => `    ${l}`),
    "}",
    "",
  ];
}

export function emitCWasm3Header(abi: LoweredAbi): string {
  const lines = [
    ...cHeaderOpen("FWX_ABI_WASM3_H", ["stdint.h"], ["wasm3.h", "fwx_abi.h", "fwx_abi_tables.h", "fwx_module.h"]),
    "typedef enum fwx_link_state {",
    "    FWX_LINK_NOT_IMPORTED = 0, /* the module does not import it (not an error) */",
    "    FWX_LINK_LINKED = 1,",
    "    FWX_LINK_FAILED = 2        /* wasm3 refused, e.g. a signature mismatch; see error[] */",
    "} fwx_link_state_t;",
    "",
    "/* What fwx_link did with each entry of fwx_imports[]. */",
    "typedef struct fwx_link_report {",
    "    uint8_t state[FWX_IMPORT_COUNT];  /* fwx_link_state_t */",
    "    M3Result error[FWX_IMPORT_COUNT]; /* wasm3's result when FWX_LINK_FAILED, else NULL */",
    "    uint16_t linked;",
    "    uint16_t failed;",
    "} fwx_link_report_t;",
    "",
    '/* Returned by fwx_link when module or m is NULL. */',
    "extern const char fwx_link_error_no_context[];",
    "",
    "/*",
    " * Links the raw function of every ABI function `module` imports, with `m` as",
    " * the userdata each call receives. Call after m3_LoadModule and after",
    " * fwx_check_module() accepted the bytes; then m3_RunStart, then fwx_init.",
    " * Names the module does not import are skipped (wasm3's \"function lookup",
    " * failed\"). Returns NULL, or the first wasm3 error; `report` (may be NULL)",
    " * gets the per-import outcome either way.",
    " */",
    "M3Result fwx_link(IM3Module module, fwx_module_t *m, fwx_link_report_t *report);",
    "",
    ...cHeaderClose("FWX_ABI_WASM3_H"),
  ];
  return generatedHeader("emit-c", "/*") + "/* wasm3 glue for the fwx host ABI: fwx_link() and its report. */\n" + lines.join("\n");
}

export function emitCWasm3Source(abi: LoweredAbi): string {
  const fns = abi.functions;
  const lines = [
    "#include <stddef.h>",
    "#include <string.h>",
    "",
    '#include "fwx_abi_wasm3.h"',
    '#include "fwx_guest_memory.h"',
    '#include "fwx_support.h"',
    "",
    'const char fwx_link_error_no_context[] = "fwx_link: module and module context must not be NULL";',
    "",
    "/* Current linear memory of the module; size 0 when it has none. */",
    "static uint8_t *fwx_memory(IM3Runtime runtime, uint32_t *size)",
    "{",
    "    uint32_t n = 0u;",
    "    uint8_t *base = m3_GetMemory(runtime, &n, 0u);",
    "    *size = base == NULL ? 0u : n;",
    "    return base;",
    "}",
    "",
    "static const void *fwx_return_status(uint64_t *sp, fwx_status_t st)",
    "{",
    "    fwx_slot_set_u32(sp, 0u, (uint32_t)st);",
    "    return NULL;",
    "}",
    "",
    ...fns.flatMap(rawFunction),
    "/* Indexed like fwx_imports[]. */",
    "static const M3RawCall fwx_raw_functions[FWX_IMPORT_COUNT] = {",
    ...fns.map((f) => `    ${rawName(f)},`),
    "};",
    "",
    "M3Result fwx_link(IM3Module module, fwx_module_t *m, fwx_link_report_t *report)",
    "{",
    "    M3Result first = NULL;",
    "    uint32_t i;",
    "    if (report != NULL) memset(report, 0, sizeof *report);",
    "    if (module == NULL || m == NULL) return fwx_link_error_no_context;",
    "    for (i = 0u; i < FWX_IMPORT_COUNT; i++) {",
    "        const fwx_import_desc_t *d = &fwx_imports[i];",
    "        M3Result r = m3_LinkRawFunctionEx(module, d->module, d->name, d->wasm3_signature, fwx_raw_functions[i], m);",
    "        fwx_link_state_t state = FWX_LINK_LINKED;",
    "        if (r == m3Err_functionLookupFailed) {",
    "            state = FWX_LINK_NOT_IMPORTED;",
    "            r = NULL;",
    "        } else if (r != NULL) {",
    "            state = FWX_LINK_FAILED;",
    "            if (first == NULL) first = r;",
    "        }",
    "        if (report != NULL) {",
    "            report->state[i] = (uint8_t)state;",
    "            report->error[i] = r;",
    "            if (state == FWX_LINK_LINKED) report->linked++;",
    "            if (state == FWX_LINK_FAILED) report->failed++;",
    "        }",
    "    }",
    "    return first;",
    "}",
    "",
  ];
  return generatedHeader("emit-c", "/*") + "/* wasm3 raw functions for every fwx ABI import, and fwx_link(). */\n" + lines.join("\n");
}
