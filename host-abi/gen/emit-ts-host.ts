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

/** The value the implementation gets for one param, from its flat wasm arguments. */
function argExpr(f: LoweredFunction, p: LoweredParam): string {
  const n = p.spec.name;
  const m = p.marshal;
  switch (m.kind) {
    case "int":
      if (m.wasm === "i64") return m.scalar === "u64" ? `BigInt.asUintN(64, ${n})` : n;
      if (m.range) return n;
      return m.scalar.startsWith("u") ? `(${n} >>> 0)` : `(${n} | 0)`;
    case "float": case "enum": return n;
    case "bool": return `${n} === 1`;
    case "flags": case "handle": return `(${n} >>> 0)`;
    case "string": case "buffer": case "mut-buffer": {
      const view = `new Uint8Array(mem, ${n}_ptr >>> 0, ${n}_len >>> 0)`;
      if (m.kind !== "string") return view;
      // A never-returning call traps anyway: its text is decoded leniently for the fault report.
      return f.resultKind === "never" ? `lossyUtf8.decode(${view})` : `${n}_str`;
    }
  }
}

/** The lines of one value check of the plan: return invalid-arg through `fail` for a bad value. */
function valueCheckLines(f: LoweredFunction, p: LoweredParam, fail: (msg: string) => string): string[] {
  const n = p.spec.name;
  const where = `${f.iface}.${f.name}: ${n}`;
  const m = p.marshal;
  switch (m.kind) {
    case "int":
      if (!m.range) break;
      return [`if (${n} < ${m.range[0]} || ${n} > ${m.range[1]}) return ${fail(`${where} = \${${n}} is outside ${m.scalar} (${m.range[0]}..${m.range[1]})`)};`];
    case "bool": return [`if (${n} !== 0 && ${n} !== 1) return ${fail(`${where} = \${${n}} is not a bool (0 or 1)`)};`];
    case "enum": return [`if (${m.values.map((v) => `${n} !== ${v}`).join(" && ")}) return ${fail(`${where} = \${${n}} is not a ${m.name} value`)};`];
    case "flags": return [`if ((${n} & ~0x${m.mask.toString(16)}) !== 0) return ${fail(`${where} = 0x\${(${n} >>> 0).toString(16)} has bits outside ${m.name}`)};`];
    case "string":
      return [
        `const ${n}_str = decodeUtf8(new Uint8Array(mem, ${n}_ptr >>> 0, ${n}_len >>> 0));`,
        `if (${n}_str === null) return ${fail(`${where} is not valid UTF-8`)};`,
      ];
    default: break;
  }
  throw new Error(`emit-ts-host: ${where}: the plan checks a ${m.kind} value, which the TypeScript glue has no check for`);
}

/** The lines of every check of the plan, in the plan's order (host-abi/gen/check-plan.ts). */
function checkLines(f: LoweredFunction, index: number): string[] {
  const fail = (status: string) => (msg: string) => `ctx.fail(${index}, ${status}, \`${msg}\`)`;
  const lines: string[] = [];
  for (const c of f.checks) {
    switch (c.step) {
      case "trap": {
        if (c.check === "bounds") {
          const n = c.param.spec.name, ptr = `${n}_ptr`, len = `${n}_len`;
          lines.push(`if ((${len} >>> 0) > mem.byteLength || (${ptr} >>> 0) > mem.byteLength - (${len} >>> 0)) ctx.trap("${c.trap}", \`${f.iface}.${f.name}: ${n} [\${${ptr} >>> 0}, +\${${len} >>> 0}) is outside memory (\${mem.byteLength} bytes)\`);`);
        } else if (c.check === "out-pointer") {
          const o = c.output;
          lines.push(`if ((${o.pointer} >>> 0) > mem.byteLength - ${o.size}) ctx.trap("${c.trap}", \`${f.iface}.${f.name}: out-pointer ${o.spec.name} \${${o.pointer} >>> 0} (+${o.size}) is outside memory (\${mem.byteLength} bytes)\`);`);
        } else if (c.param.marshal.kind === "handle") {
          const n = c.param.spec.name, kind = `${f.iface}.${c.param.marshal.name}`;
          lines.push(`if (!ctx.owns("${kind}", ${n} >>> 0)) ctx.trap("${c.trap}", \`${f.iface}.${f.name}: handle \${${n} >>> 0} is not a ${kind} this module owns\`);`);
        }
        break;
      }
      case "value":
        // A never-returning call traps whatever its values are (see argExpr).
        if (c.onFail === "invalid-arg") lines.push(...valueCheckLines(f, c.param, fail("STATUS_INVALID_ARG")));
        break;
      case "capability":
        lines.push(`if (!ctx.granted("${c.capability.name}")) return ${fail("STATUS_NOT_PERMITTED")(`${f.iface}.${f.name}: the module has no ${c.capability.name} grant`)};`);
        break;
      case "implementation":
        break;
    }
  }
  return lines;
}

function glue(f: LoweredFunction, index: number): string[] {
  const flat = f.flat.params.map((p) => p.name);
  const needsMem = f.flat.params.some((p) => p.pointer);
  const body: string[] = [];
  if (needsMem) body.push("const mem = ctx.memory.buffer;");
  body.push(...checkLines(f, index));
  const args = f.params.map((p) => argExpr(f, p));
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
  const out: string[] = [generatedHeader("emit-ts-host", "//"), ""];
  out.push(`export const ABI_VERSION = "${abi.spec.version}";`, `export const ABI_SPEC_HASH = "${abi.hash}";`, "");
  out.push(doc("Status codes (0 = ok). Append-only."), "export const Status = {");
  for (const s of abi.statusCodes) out.push(`  ${camel(s.name)}: ${s.value},`);
  out.push("} as const;", "");
  out.push("export const STATUS_NAMES: Readonly<Record<number, string>> = {");
  for (const s of abi.statusCodes) out.push(`  ${s.value}: "${s.name}",`);
  out.push("};", "", `const STATUS_INVALID_ARG = ${abi.statusByName.get("invalid-arg")!.value};`, `const STATUS_NOT_PERMITTED = ${abi.statusByName.get("not-permitted")!.value};`, "");
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
  out.push("export const FUNCTIONS: readonly { module: string; name: string; iface: string; params: readonly string[]; result: \"status\" | \"never\" | \"value\" }[] = [");
  const fns = abi.functions;
  for (const f of fns) out.push(`  { module: "${f.module}", name: "${f.name}", iface: "${f.iface}", params: [${f.flat.params.map((p) => `"${p.name}"`).join(", ")}], result: "${f.resultKind}" },`);
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
    "  /** Whether the module was granted anything of this capability kind (\"gpio\"); the implementation checks the scope. */",
    "  granted(capability: string): boolean;",
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
