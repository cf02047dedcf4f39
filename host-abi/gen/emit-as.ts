// Emits the raw AssemblyScript bindings of the SDK: one `@external`
// declaration per ABI function (assembly/raw/<interface>.ts) and the shared
// enums, status codes and event kinds (assembly/raw/types.ts). The idiomatic
// wrappers in assembly/*.ts are written by hand on top of these; integrators
// normally never import assembly/raw directly.

import type { EnumSpec, FlagsSpec } from "../schema.js";
import type { GeneratedFile } from "./emitter.js";
import { generatedHeader } from "./header.js";
import type { LoweredAbi, LoweredFunction, LoweredInterface, LoweredParam } from "./lower.js";
import { pascal } from "./names.js";
import type { RichType } from "./types.js";

const GENERATOR = "emit-as";
export const AS_RAW_DIR = "assembly/raw";

/** The AS enum name of an interface enum or flags set (`pin-mode` → `PinMode`). */
export function asEnumName(name: string): string {
  return pascal(name);
}

function docBlock(lines: string[], indent = ""): string {
  const safe = lines.map((l) => l.replace(/\*\//g, "*\\/"));
  return `${indent}/**\n${safe.map((l) => `${indent} *${l ? " " + l : ""}`).join("\n")}\n${indent} */\n`;
}

/** AS type of a single-value rich type at the ABI boundary. */
function asScalarType(t: RichType): string {
  switch (t.kind) {
    case "scalar": return t.scalar;
    case "bool": return "bool";
    case "enum": return asEnumName(t.name);
    case "flags": return "u32";
    case "handle": return "u32";
    default: throw new Error(`${t.kind} does not lower to one value`);
  }
}

function paramDecls(p: LoweredParam): string[] {
  if (p.flat.length === 1) return [`${p.spec.name}: ${asScalarType(p.type)}`];
  // pointer + length pairs: usize keeps them 32-bit on wasm32 and unsigned.
  return p.flat.map((f) => `${f.name}: usize`);
}

function paramDocs(p: LoweredParam): string[] {
  const t = p.type;
  if (t.kind === "string") return [`@param ${p.spec.name}_ptr ${p.spec.doc} (UTF-8 bytes)`, `@param ${p.spec.name}_len Byte length of ${p.spec.name}.`];
  if (t.kind === "buffer") return [`@param ${p.spec.name}_ptr ${p.spec.doc}`, `@param ${p.spec.name}_len Byte length of ${p.spec.name}.`];
  if (t.kind === "mut-buffer") return [`@param ${p.spec.name}_ptr ${p.spec.doc} (the host writes here)`, `@param ${p.spec.name}_len Capacity of ${p.spec.name} in bytes.`];
  const suffix = t.kind === "flags" ? ` (${asEnumName(t.name)} bits)` : "";
  return [`@param ${p.spec.name} ${p.spec.doc}${suffix}`];
}

function functionDecl(f: LoweredFunction, abi: LoweredAbi): string {
  const lines: string[] = [f.spec.doc, ""];
  for (const p of f.params) lines.push(...paramDocs(p));
  for (const o of f.outputs) lines.push(`@param ${o.pointer} Out: ${o.spec.doc} (${o.spec.type}, ${o.size} bytes little-endian, stored as ${o.store}).`);
  if (f.resultKind === "status") {
    if (f.spec.errors.length === 0) lines.push("@returns Status.Ok (0); this call has no recoverable failure.");
    else lines.push("@returns Status.Ok (0) on success, otherwise one of:");
    for (const e of f.spec.errors) lines.push(`  - ${pascal(e.code)} (${abi.statusByName.get(e.code)!.value}): ${e.when}`);
  } else if (f.resultKind === "value") {
    lines.push(`@returns ${f.spec.result}`);
  } else {
    lines.push("Never returns: the host ends the callback.");
  }
  for (const t of f.spec.traps ?? []) lines.push(`Traps when ${t}.`);
  lines.push(f.capability ? `Capability: ${f.capability.name} (scoped by ${f.capability.scope}).` : "Needs no capability.");
  lines.push(`Since ABI ${f.spec.since}; wasm signature ${f.signature}.`);

  const params = [...f.params.flatMap(paramDecls), ...f.outputs.map((o) => `${o.pointer}: usize`)];
  const result = f.resultKind === "status" ? "i32" : f.resultKind === "never" ? "void" : asScalarType(f.resultType!);
  return (
    docBlock(lines) +
    // TypeScript allows no decorator on a function; editors and tsc check these files too.
    "// @ts-ignore: decorator\n" +
    `@external("${f.module}", "${f.name}")\n` +
    `export declare function ${f.symbol}(${params.join(", ")}): ${result};\n`
  );
}

function enumDecl(e: EnumSpec, iface: string): string {
  const cases = e.cases.map((c) => `${docBlock([c.doc], "  ")}  ${pascal(c.name)} = ${c.value},`).join("\n");
  return `${docBlock([`${e.doc} (${iface}.${e.name}, since ${e.since})`])}export enum ${asEnumName(e.name)} {\n${cases}\n}\n`;
}

function flagsDecl(f: FlagsSpec, iface: string): string {
  const flags = f.flags.map((fl) => `${docBlock([fl.doc], "  ")}  ${pascal(fl.name)} = ${(1 << fl.bit) >>> 0},`).join("\n");
  return `${docBlock([`${f.doc} Bit flags: combine with \`|\`. (${iface}.${f.name}, since ${f.since})`])}export enum ${asEnumName(f.name)} {\n  None = 0,\n${flags}\n}\n`;
}

function typesFile(abi: LoweredAbi): GeneratedFile {
  const parts: string[] = [generatedHeader(GENERATOR, "//")];
  // @lazy: compiled only where a module reads it; otherwise every module carried its UTF-16 copy (issue 14).
  parts.push(`\n/** Version of the host ABI these bindings were generated from. */\n// @ts-ignore: decorator\n@lazy export const ABI_VERSION = "${abi.spec.version}";\n`);

  const statuses = abi.statusCodes
    .map((s) => `${docBlock([s.doc], "  ")}  ${pascal(s.name)} = ${s.value},`)
    .join("\n");
  parts.push(`\n${docBlock(["Every status code a host call can return. 0 is success; recoverable failures are never exceptions."])}export enum Status {\n${statuses}\n}\n`);

  const nameCases = abi.statusCodes.map((s) => `    case Status.${pascal(s.name)}: return "${s.name}";`).join("\n");
  parts.push(
    `\n/** The ABI name of a status ("nack-address"); "unknown" for a value this ABI version does not define. */\n` +
    `export function statusName(status: Status): string {\n  switch (status) {\n${nameCases}\n    default: return "unknown";\n  }\n}\n`,
  );

  const events = abi.interfaces.flatMap((i) => i.events.map((e) => ({ iface: i.name, e })));
  const eventCases = events
    .map(({ iface, e }) => `${docBlock([`${e.doc} handle: a ${iface} ${e.handle} handle; arg: ${e.arg}.`], "  ")}  ${pascal(iface)}${pascal(e.name)} = ${e.kind},`)
    .join("\n");
  parts.push(`\n${docBlock(["Event kinds the host passes to the module's fwx_on_event(kind, handle, arg) export."])}export enum EventKind {\n${eventCases}\n}\n`);

  for (const iface of abi.interfaces) {
    for (const e of iface.enums) parts.push("\n" + enumDecl(e, iface.name));
    for (const f of iface.flags) parts.push("\n" + flagsDecl(f, iface.name));
  }
  return { path: `${AS_RAW_DIR}/types.ts`, content: parts.join("") };
}

function interfaceFile(iface: LoweredInterface, abi: LoweredAbi): GeneratedFile {
  const enumNames = new Set<string>();
  for (const f of iface.functions) for (const p of f.params) if (p.type.kind === "enum") enumNames.add(asEnumName(p.type.name));
  const imports = enumNames.size ? `import { ${[...enumNames].sort().join(", ")} } from "./types";\n` : "";
  const head = `${generatedHeader(GENERATOR, "//")}\n${imports}${imports ? "\n" : ""}// ${iface.module}: ${iface.spec.doc}\n// Interface version ${iface.spec.version}. Raw bindings: pointers and lengths are byte offsets and byte counts in this module's memory.\n\n`;
  const body = iface.functions.map((f) => functionDecl(f, abi)).join("\n");
  return { path: `${AS_RAW_DIR}/${iface.name}.ts`, content: `${head}${body}` };
}

function indexFile(abi: LoweredAbi): GeneratedFile {
  const lines = [generatedHeader(GENERATOR, "//"), "", 'export * from "./types";'];
  for (const i of abi.interfaces) lines.push(`export * from "./${i.name}";`);
  return { path: `${AS_RAW_DIR}/index.ts`, content: lines.join("\n") + "\n" };
}

export function emitAssemblyScript(abi: LoweredAbi): GeneratedFile[] {
  return [typesFile(abi), ...abi.interfaces.map((i) => interfaceFile(i, abi)), indexFile(abi)];
}
