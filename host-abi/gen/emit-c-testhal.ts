// tests/c/generated/fwx_test_abi.c: the recording fake HAL and the per-function
// descriptors the generic C glue tests iterate over, so a new ABI function is
// tested without anyone writing a test for it.

import { generatedHeader } from "./header.js";
import type { LoweredAbi, LoweredFunction, LoweredOutput, LoweredParam } from "./lower.js";
import type { RichType } from "./types.js";
import { capMacro, cParamName, cValueType, cString, flagsMaskMacro, halName, halParams, halReturnType, handleKindMacro, importIndexMacro, lengthName } from "./emit-c-names.js";

export const TEST_HAL_PATH = "tests/c/generated/fwx_test_abi.c";

function intInfo(t: RichType): { bits: number; signed: boolean } {
  if (t.kind === "scalar") {
    const bits = Number(t.scalar.slice(1));
    return { bits, signed: t.scalar.startsWith("i") };
  }
  return { bits: t.kind === "bool" ? 1 : 32, signed: false };
}

/** Bits of a by-value HAL argument as the recorder stores them. */
function recordBits(t: RichType, v: string): string {
  if (t.kind === "bool") return `(${v} ? 1u : 0u)`;
  if (t.kind === "scalar") {
    if (t.scalar === "f32") return `(uint64_t)fwx_f32_bits(${v})`;
    if (t.scalar === "f64") return `fwx_f64_bits(${v})`;
    if (t.scalar.startsWith("i")) return `(uint64_t)(int64_t)${v}`;
  }
  return `(uint64_t)${v}`;
}

/** Converts scripted bits to the natural output type. */
function fromBits(t: RichType, iface: string, bits: string): string {
  const ct = cValueType(t, iface);
  if (t.kind === "bool") return `${bits} != 0u`;
  if (t.kind === "scalar") {
    if (t.scalar === "f32") return `fwx_f32_of((uint32_t)${bits})`;
    if (t.scalar === "f64") return `fwx_f64_of(${bits})`;
    if (t.scalar.startsWith("i")) return `(${ct})fwx_i64_of(${bits})`;
  }
  return `(${ct})${bits}`;
}

function paramDesc(p: LoweredParam, slot: number, f: LoweredFunction, enumArrays: string[]): string {
  const m = p.marshal;
  const base = (kind: string, rest: Partial<Record<string, string>>) => {
    const fields: Record<string, string> = {
      name: cString(p.spec.name), kind, slot: `${slot}u`, bits: "0u", is_signed: "false", checked: p.checked ? "true" : "false",
      min: "0", max: "0", flags_mask: "0u", enum_values: "NULL", enum_count: "0u", handle_kind: "0u", ...rest,
    };
    return `{ ${Object.values(fields).join(", ")} }`;
  };
  switch (m.kind) {
    case "int": {
      const { bits, signed } = intInfo(p.type);
      const [min, max] = m.range ?? [0, 0];
      return base("TP_INT", { bits: `${bits}u`, is_signed: String(signed), min: `${min}`, max: `${max}` });
    }
    case "float": return base("TP_FLOAT", { bits: m.scalar === "f32" ? "32u" : "64u" });
    case "bool": return base("TP_BOOL", {});
    case "enum": {
      const arr = `enum_${f.symbol}_${cParamName(p.spec.name, f.symbol)}`;
      enumArrays.push(`static const uint32_t ${arr}[] = { ${m.values.map((v) => `${v}u`).join(", ")} };`);
      return base("TP_ENUM", { enum_values: arr, enum_count: `${m.values.length}u` });
    }
    case "flags": return base("TP_FLAGS", { flags_mask: flagsMaskMacro(f.iface, m.name) });
    case "handle": return base("TP_HANDLE", { handle_kind: handleKindMacro(f.iface, m.name) });
    case "string": return base("TP_STRING", {});
    case "buffer": return base("TP_BUFFER", {});
    case "mut-buffer": return base("TP_MUT_BUFFER", {});
  }
}

function outputDesc(o: LoweredOutput, slot: number): string {
  const kind = o.type.kind === "bool" ? "b" : o.store === "f32" || o.store === "f64" ? "f" : o.store === "i32" || o.store === "i64" ? "s" : "u";
  const bits = intInfo(o.type).bits;
  return `{ ${cString(o.spec.name)}, ${slot}u, ${o.size}u, '${kind}', ${bits}u }`;
}

function fakeHal(f: LoweredFunction, index: number): string[] {
  const params = ["fwx_module_t *m", ...halParams(f)];
  const body = [`fake_hal.calls++;`, `fake_hal.fn = ${index};`, `fake_hal.m = m;`];
  f.params.forEach((p, k) => {
    const n = cParamName(p.spec.name, f.symbol);
    if (p.flat.length === 2) {
      const len = lengthName(p, f.symbol);
      body.push(`fake_hal.ptr[${k}] = ${n};`, `fake_hal.len[${k}] = ${len};`);
      if (p.marshal.kind === "mut-buffer") body.push(`if (fake_hal.fill >= 0 && ${len} > 0u) memset(${n}, fake_hal.fill, ${len});`);
    } else body.push(`fake_hal.value[${k}] = ${recordBits(p.type, n)};`);
  });
  body.push("if (fake_hal.during != NULL) fake_hal.during();");
  f.outputs.forEach((o, k) => {
    const n = cParamName(o.spec.name, f.symbol);
    body.push(`if (fake_hal.set_out[${k}]) *${n} = ${fromBits(o.type, f.iface, `fake_hal.out[${k}]`)};`);
  });
  if (f.resultKind === "status") body.push("return fake_hal.status;");
  else if (f.resultKind === "value") body.push(`return ${fromBits(f.resultType!, f.iface, "fake_hal.result")};`);
  return [`${halReturnType(f)} ${halName(f)}(${params.join(", ")})`, "{", ...body.map((l) => `    ${l}`), "}", ""];
}

export function emitCTestHal(abi: LoweredAbi): string {
  const fns = abi.functions;
  const enumArrays: string[] = [];
  const tables: string[] = [];
  const descs: string[] = [];
  fns.forEach((f) => {
    let slot = f.flat.results.length;
    const ps = f.params.map((p) => {
      const d = paramDesc(p, slot, f, enumArrays);
      slot += p.flat.length;
      return d;
    });
    const os = f.outputs.map((o) => outputDesc(o, slot++));
    if (ps.length) tables.push(`static const test_param_desc_t params_${f.symbol}[] = {`, ...ps.map((d) => `    ${d},`), "};");
    if (os.length) tables.push(`static const test_output_desc_t outs_${f.symbol}[] = {`, ...os.map((d) => `    ${d},`), "};");
    const result = f.resultKind === "status" ? "s" : f.resultKind === "never" ? "n" : "v";
    const resultBits = f.resultKind === "value" ? (f.flat.results[0] === "i64" || f.flat.results[0] === "f64" ? 64 : 32) : 0;
    const gated = f.capability !== null && f.statuses.includes("not-permitted");
    descs.push(
      `    { ${importIndexMacro(f)}, '${result}', ${resultBits}u, ${slot}u, ${ps.length}u, ${ps.length ? `params_${f.symbol}` : "NULL"}, ` +
      `${os.length}u, ${os.length ? `outs_${f.symbol}` : "NULL"}, ${gated}, ${f.capability ? capMacro(f.capability.name) : "FWX_CAP_NONE"} },`,
    );
  });
  const lines = [
    "#include <stddef.h>",
    "#include <string.h>",
    "",
    '#include "fake_hal.h"',
    '#include "fwx_guest_memory.h"',
    '#include "test_desc.h"',
    "",
    "fake_hal_t fake_hal;",
    "",
    "void fake_hal_reset(void)",
    "{",
    "    memset(&fake_hal, 0, sizeof fake_hal);",
    "    fake_hal.fn = -1;",
    "    fake_hal.fill = -1;",
    "}",
    "",
    "bool fwx_hal_handle_owned(fwx_module_t *m, fwx_handle_kind_t kind, uint32_t handle)",
    "{",
    "    (void)m;",
    "    fake_hal.owned_queries++;",
    "    fake_hal.owned_kind_asked = kind;",
    "    return kind == fake_hal.owned_kind && handle == fake_hal.owned_handle;",
    "}",
    "",
    ...fns.flatMap((f, i) => fakeHal(f, i)),
    ...enumArrays,
    "",
    ...tables,
    "",
    "const test_fn_desc_t fwx_test_functions[FWX_IMPORT_COUNT] = {",
    ...descs,
    "};",
    "",
  ];
  return generatedHeader("emit-c", "/*") + "/* Recording fake HAL and per-function test descriptors for tests/c. */\n" + lines.join("\n");
}
