// Emits src/abi/host.generated.ts: the TypeScript interface the device agent
// implements, and the import glue that lowers every call. The glue does all
// the checks the marshalling plan asks for before the implementation runs,
// so a host implementation only ever sees in-bounds memory, owned handles and
// in-range values.

import type { GeneratedFile } from "./emitter.js";
import { generatedHeader } from "./header.js";
import type { LoweredAbi, LoweredFunction, LoweredParam } from "./lower.js";
import { camel, pascal } from "./names.js";
import type { RichType } from "./types.js";

const doc = (text: string, indent = "") => `${indent}/** ${text.replace(/\*\//g, "*\\/")} */`;

function tsType(t: RichType): string {
  switch (t.kind) {
    case "scalar": return t.scalar === "u64" || t.scalar === "i64" ? "bigint" : "number";
    case "bool": return "boolean";
    case "string": return "string";
    case "buffer": case "mut-buffer": return "Uint8Array";
    default: return "number";
  }
}

function hostSignature(f: LoweredFunction): string {
  const params = f.params.map((p) => `${camel(p.spec.name)}: ${tsType(p.type)}`);
  if (f.outputs.length) params.push(`out: ${outType(f)}`);
  const result = f.resultKind === "status" ? "number" : f.resultKind === "never" ? "never" : tsType(f.resultType!);
  return `${camel(f.name)}(${params.join(", ")}): ${result};`;
}

function outType(f: LoweredFunction): string {
  return `{ ${f.outputs.map((o) => `${camel(o.spec.name)}: ${tsType(o.type)}`).join("; ")} }`;
}

/**
 * Lines that turn the flat wasm arguments of one param into the value the
 * implementation gets: `traps` (contract checks) run for every param before
 * any `lines` (value checks answered with invalid-arg), in C as in TS.
 */
function lowerParamLines(f: LoweredFunction, p: LoweredParam, fail: (msg: string) => string): { traps?: string[]; lines: string[]; expr: string } {
  const n = p.spec.name;
  const where = `${f.iface}.${f.name}: ${n}`;
  const m = p.marshal;
  switch (m.kind) {
    case "int": {
      if (m.wasm === "i64") return { lines: [], expr: m.scalar === "u64" ? `BigInt.asUintN(64, ${n})` : n };
      const v = m.scalar.startsWith("u") ? `(${n} >>> 0)` : `(${n} | 0)`;
      if (!m.range) return { lines: [], expr: v };
      return {
        lines: [`if (${n} < ${m.range[0]} || ${n} > ${m.range[1]}) return ${fail(`${where} = \${${n}} is outside ${m.scalar} (${m.range[0]}..${m.range[1]})`)};`],
        expr: n,
      };
    }
    case "float": return { lines: [], expr: n };
    case "bool":
      return { lines: [`if (${n} !== 0 && ${n} !== 1) return ${fail(`${where} = \${${n}} is not a bool (0 or 1)`)};`], expr: `${n} === 1` };
    case "enum":
      return {
        lines: [`if (${m.values.map((v) => `${n} !== ${v}`).join(" && ")}) return ${fail(`${where} = \${${n}} is not a ${m.name} value`)};`],
        expr: n,
      };
    case "flags":
      return { lines: [`if ((${n} & ~0x${m.mask.toString(16)}) !== 0) return ${fail(`${where} = 0x\${(${n} >>> 0).toString(16)} has bits outside ${m.name}`)};`], expr: `(${n} >>> 0)` };
    case "handle":
      return {
        lines: [],
        traps: [`if (!ctx.owns("${f.iface}.${m.name}", ${n} >>> 0)) ctx.trap("foreign-handle", \`${f.iface}.${f.name}: handle \${${n} >>> 0} is not a ${f.iface}.${m.name} this module owns\`);`],
        expr: `(${n} >>> 0)`,
      };
    case "string": case "buffer": case "mut-buffer": {
      const ptr = `${n}_ptr`, len = `${n}_len`;
      const lines: string[] = [];
      const traps = [
        `if ((${len} >>> 0) > mem.byteLength || (${ptr} >>> 0) > mem.byteLength - (${len} >>> 0)) ctx.trap("out-of-bounds", \`${f.iface}.${f.name}: ${n} [\${${ptr} >>> 0}, +\${${len} >>> 0}) is outside memory (\${mem.byteLength} bytes)\`);`,
      ];
      const view = `new Uint8Array(mem, ${ptr} >>> 0, ${len} >>> 0)`;
      if (m.kind !== "string") return { traps, lines, expr: view };
      if (f.resultKind === "never") return { traps, lines, expr: `lossyUtf8.decode(${view})` };
      lines.push(`const ${n}_str = decodeUtf8(${view});`);
      lines.push(`if (${n}_str === null) return ${fail(`${where} is not valid UTF-8`)};`);
      return { traps, lines, expr: `${n}_str` };
    }
  }
}

function glue(f: LoweredFunction, index: number): string[] {
  const flat = f.flat.params.map((p) => p.name);
  const needsMem = f.flat.params.some((p) => p.pointer);
  const failFn = (msg: string) => `ctx.fail(${index}, STATUS_INVALID_ARG, \`${msg}\`)`;
  const body: string[] = [];
  if (needsMem) body.push("const mem = ctx.memory.buffer;");
  const args: string[] = [];
  const checks: string[] = [];
  for (const p of f.params) {
    const { traps, lines, expr } = lowerParamLines(f, p, failFn);
    body.push(...(traps ?? []));
    checks.push(...lines);
    args.push(expr);
  }
  for (const o of f.outputs) {
    body.push(`if ((${o.pointer} >>> 0) > mem.byteLength - ${o.size}) ctx.trap("out-of-bounds", \`${f.iface}.${f.name}: out-pointer ${o.spec.name} \${${o.pointer} >>> 0} (+${o.size}) is outside memory (\${mem.byteLength} bytes)\`);`);
  }
  body.push(...checks);
  const outVar = `out${index}`;
  if (f.outputs.length) {
    // Unset until the implementation stores a value: after a non-ok status only
    // the outputs it set are written (no-space sets just the needed length).
    body.push(...f.outputs.map((o) => `${outVar}.${camel(o.spec.name)} = UNSET as never;`));
    args.push(outVar);
  }
  const call = `host.${f.iface}.${camel(f.name)}(${args.join(", ")})`;
  const rec = `ctx.record(${index}, ${["r", ...flat].join(", ")});`;
  if (f.resultKind === "never") {
    body.push(`${call};`);
    body.push(`return ctx.trap("host-contract", "${f.iface}.${f.name} returned; it must trap");`);
  } else if (f.resultKind === "value") {
    body.push(`const r = ${call};`, rec, "return r;");
  } else {
    body.push(`const r = ${call};`);
    if (f.outputs.length) {
      body.push("const view = new DataView(ctx.memory.buffer);");
      for (const o of f.outputs) {
        const field = `${outVar}.${camel(o.spec.name)}`;
        const v = `(${field} ?? ${tsType(o.type) === "bigint" ? "0n" : "0"})`;
        const ptr = `${o.pointer} >>> 0`;
        let store: string;
        switch (o.store) {
          case "u64": store = `view.setBigUint64(${ptr}, ${v}, true);`; break;
          case "i64": store = `view.setBigInt64(${ptr}, ${v}, true);`; break;
          case "f64": store = `view.setFloat64(${ptr}, ${v}, true);`; break;
          case "f32": store = `view.setFloat32(${ptr}, ${v}, true);`; break;
          case "i32": store = `view.setInt32(${ptr}, ${v}, true);`; break;
          default: store = `view.setUint32(${ptr}, ${tsType(o.type) === "boolean" ? `${field} ? 1 : 0` : v}, true);`;
        }
        body.push(`if (r === 0 || ${field} !== UNSET) ${store}`);
      }
    }
    body.push(rec, "return r;");
  }
  const params = f.flat.params.map((p) => `${p.name}: ${p.type === "i64" ? "bigint" : "number"}`).join(", ");
  return [`    ${f.name}: (${params}) => {`, ...body.map((l) => `      ${l}`), "    },"];
}

export function emitTsHostSource(abi: LoweredAbi): string {
  const out: string[] = [generatedHeader("emit-ts-host", abi.hash, "//"), ""];
  out.push(`export const ABI_VERSION = "${abi.spec.version}";`, `export const ABI_SPEC_HASH = "${abi.hash}";`, "");
  out.push(doc("Status codes (0 = ok). Append-only."), "export const Status = {");
  for (const s of abi.statusCodes) out.push(`  ${camel(s.name)}: ${s.value},`);
  out.push("} as const;", "");
  out.push("export const STATUS_NAMES: Readonly<Record<number, string>> = {");
  for (const s of abi.statusCodes) out.push(`  ${s.value}: "${s.name}",`);
  out.push("};", "", `const STATUS_INVALID_ARG = ${abi.statusByName.get("invalid-arg")!.value};`, "");
  out.push(doc("Event kinds delivered through fwx_on_event(kind, handle, arg)."), "export const EventKind = {");
  for (const i of abi.interfaces) for (const e of i.events) out.push(`  ${camel(`${i.name}-${e.name}`)}: ${e.kind},`);
  out.push("} as const;", "");
  out.push(doc("Capability ids, shared with the C glue."), "export const CapabilityId = {");
  for (const c of abi.capabilities) out.push(`  ${camel(c.name)}: ${c.id},`);
  out.push("} as const;", "");
  const seen = new Set<string>();
  for (const i of abi.interfaces) {
    for (const e of i.enums) {
      const name = pascal(e.name);
      if (seen.has(name)) throw new Error(`emit-ts-host: enum name ${name} is used by two interfaces`);
      seen.add(name);
      out.push(doc(`${i.name}.${e.name}: ${e.doc}`), `export const ${name} = {`);
      for (const c of e.cases) out.push(`  ${camel(c.name)}: ${c.value},`);
      out.push("} as const;", "");
    }
    for (const fl of i.flags) {
      const name = pascal(fl.name);
      if (seen.has(name)) throw new Error(`emit-ts-host: flags name ${name} is used by two interfaces`);
      seen.add(name);
      out.push(doc(`${i.name}.${fl.name}: ${fl.doc}`), `export const ${name} = {`);
      for (const x of fl.flags) out.push(`  ${camel(x.name)}: 0x${(1 << x.bit).toString(16)},`);
      out.push("} as const;", "");
    }
  }
  out.push(doc("Every ABI function by index: the index crash reports and the call record use."));
  out.push("export const FUNCTIONS: readonly { module: string; name: string; iface: string; params: readonly string[] }[] = [");
  const fns = abi.functions;
  for (const f of fns) out.push(`  { module: "${f.module}", name: "${f.name}", iface: "${f.iface}", params: [${f.flat.params.map((p) => `"${p.name}"`).join(", ")}] },`);
  out.push("];", "");
  for (const i of abi.interfaces) {
    out.push(doc(`${i.module} — ${i.spec.doc}`), `export interface ${pascal(i.name)}Host {`);
    for (const f of i.functions) {
      const statuses = f.resultKind === "status" ? ` Returns: ${f.statuses.join(", ")}.` : "";
      out.push(doc(`${f.spec.doc}${statuses}`, "  "), `  ${hostSignature(f)}`);
    }
    out.push("}", "");
  }
  out.push("export interface HostImpl {");
  for (const i of abi.interfaces) out.push(`  ${i.name}: ${pascal(i.name)}Host;`);
  out.push("}", "");
  out.push(
    doc("What the glue needs from the agent for one module instance."),
    "export interface GuestContext {",
    "  /** The module's linear memory; its buffer is re-read on every call because memory.grow replaces it. */",
    "  readonly memory: WebAssembly.Memory;",
    "  /** Whether the module owns a handle of this kind (\"gpio.pin\"). */",
    "  owns(kind: string, handle: number): boolean;",
    "  /** Ends the current callback as a fault: must throw. */",
    "  trap(reason: string, detail: string): never;",
    "  /** An argument failed a check: remember why (core.error_detail) and return the status to the guest. */",
    "  fail(fn: number, status: number, detail: string): number;",
    "  /** Called after every completed call with its result and flat arguments (crash-report ring). */",
    "  record(fn: number, result: number | bigint, a0?: number | bigint, a1?: number | bigint, a2?: number | bigint, a3?: number | bigint, a4?: number | bigint, a5?: number | bigint): void;",
    "}",
    "",
    "/** An output the implementation has not stored. */",
    "const UNSET = undefined;",
    "const utf8 = new TextDecoder(\"utf-8\", { fatal: true });",
    "const lossyUtf8 = new TextDecoder(\"utf-8\");",
    "function decodeUtf8(bytes: Uint8Array): string | null {",
    "  try {",
    "    return utf8.decode(bytes);",
    "  } catch {",
    "    return null;",
    "  }",
    "}",
    "",
    doc("Builds the wasm import object for one module instance: every ABI function, checked and lowered."),
    "export function createHostImports(host: HostImpl, ctx: GuestContext): Record<string, Record<string, (...args: never[]) => unknown>> {",
  );
  fns.forEach((f, idx) => {
    if (f.outputs.length) out.push(`  const out${idx}: ${outType(f)} = { ${f.outputs.map((o) => `${camel(o.spec.name)}: UNSET as never`).join(", ")} };`);
  });
  out.push("  return {");
  let idx = 0;
  for (const i of abi.interfaces) {
    out.push(`    "${i.module}": {`);
    for (const f of i.functions) out.push(...glue(f, idx++).map((l) => `  ${l}`));
    out.push("    },");
  }
  out.push("  };", "}", "");
  return out.join("\n");
}

export function emitTsHost(abi: LoweredAbi): GeneratedFile[] {
  return [{ path: "src/abi/host.generated.ts", content: emitTsHostSource(abi) }];
}
