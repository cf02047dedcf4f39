// Emits the host ABI reference under docs/abi/: an index (versions, import
// modules, error model, memory rules, lowering tables, lifecycle exports,
// events, capabilities), the status code table, and one page per interface.
// Everything printed comes from the lowered model; the prose here only states
// the rules that model encodes.

import type { Emitter, GeneratedFile } from "./emitter.js";
import { interfacePage } from "./emit-docs-interface.js";
import { code, functionLink, page, summary, table } from "./emit-docs-md.js";
import { generatedHeader } from "./header.js";
import type { LoweredAbi } from "./lower.js";
import { typeToString, type RichType } from "./types.js";

const DIR = "docs/abi";

/** Distinct rows, in first-seen order: the lowering tables list each type once. */
function distinct(rows: string[][]): string[][] {
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.join("\0")) && seen.add(r.join("\0")));
}

/** A type with the name of its enum/flags/handle elided: the lowering tables describe kinds, not each declaration. */
function genericName(t: RichType): string {
  return t.kind === "enum" || t.kind === "flags" || t.kind === "handle" ? `${t.kind}<…>` : typeToString(t);
}

const TYPE_ORDER = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "f32", "f64", "bool", "enum<…>", "flags<…>", "handle<…>", "string", "buffer", "mut-buffer"];

/** Sorts table rows whose first cell is a backticked generic type name into the order the schema lists types. */
function byTypeOrder(rows: string[][]): string[][] {
  const rank = (r: string[]) => TYPE_ORDER.indexOf(r[0]!.replace(/`/g, ""));
  return [...rows].sort((a, b) => rank(a) - rank(b));
}

function indexPage(abi: LoweredAbi, header: string): string {
  const params = abi.functions.flatMap((f) => f.params);
  const outputs = abi.functions.flatMap((f) => f.outputs);
  const lines = [
    `# fwx host ABI ${abi.spec.version}`,
    "",
    "The functions a customer module (WebAssembly) imports from the firmware, the exports the firmware calls in it, and the rules both sides keep. The same ABI is served by the C host on wasm3 and by the fwx device agent on Node.",
    "",
    `Spec hash: ${code(abi.hash)}. Source: \`host-abi/spec/\`. A built module records the interfaces it needs (name, major, minor) in the ${code(abi.spec.customSection)} custom section; the host refuses a module that needs a newer minor than it serves.`,
    "",
    "## Interfaces",
    "",
    "Each interface is a separate wasm import module whose name carries the interface's major version, so a host can serve two majors side by side.",
    "",
    table(["Interface", "Version", "Import module", "Functions", "Capabilities", "Summary"],
      abi.interfaces.map((i) => [
        `[${i.name}](${i.name}.md)`, i.spec.version, code(i.module), String(i.functions.length),
        i.capabilities.map((c) => code(c.name)).join(", ") || "none", summary(i.spec.doc),
      ])),
    "",
    "## Error model",
    "",
    `- Recoverable failures are **status codes**: a status function returns an i32, 0 (\`ok\`) on success, otherwise one of the codes in [status codes](status-codes.md). Each function's page lists exactly the codes it can return and when.`,
    "- A call outside the module's granted capabilities returns `not-permitted`; it never traps.",
    "- Malformed arguments the host can check (an integer out of its type's range, an unknown enum value, flag bits outside the set, a bool other than 0 or 1, a string that is not UTF-8) return `invalid-arg`.",
    "- **Contract violations trap**: a pointer/length pair outside linear memory, an out-pointer outside linear memory, a handle the module does not own, fuel exhaustion. A trap ends the current callback and the module is faulted; no status is returned.",
    "- Functions whose result is a value (the clock) cannot fail and return it directly; `never` functions (`core.abort`, `core.fuel_exhausted`) always trap.",
    "- After a non-`ok` status, `core.error_detail` returns the host's text for it, the escape hatch for `other`.",
    "- **One check order**, the same on every host and listed on each function's page under \"Checks, in order\": traps (memory ranges, then out-pointers, then handles), then `invalid-arg` for values, then `not-permitted` when the capability kind is not granted at all, then the implementation: argument rules (`invalid-arg`), the grant's scope (`not-permitted`), whether the resource exists (`not-found`) and can do it (`unsupported`), then device state. The grant comes before the board, so a module learns nothing about hardware outside its grants: an ungranted pin answers `not-permitted` whether or not the board has it.",
    "",
    "## Fuel",
    "",
    "A module's code is metered in fuel (about one unit per wasm instruction; the budget is per callback). A host call costs the call instruction plus what its page lists under *Fuel*: a base per call and, for functions that take strings or buffers, a charge per byte of each length. The fuel instrumenter adds both at every call site: the base with the rest of the straight-line code before the call, the per-byte part just after the call returns, from the lengths actually passed, so a length outside memory still traps as out-of-bounds rather than exhausting fuel. A module that floods host calls therefore runs out of fuel, the same way on every host, long before a wall-clock watchdog would stop it. Modules instrumented for wasm3 (`fwx pack --target mcu`) carry the same charges.",
    "",
    "## Memory and ownership",
    "",
    "- The host never allocates in guest memory and never keeps a guest pointer after the call returns.",
    "- Strings and byte buffers the module passes in are a (pointer, length) pair of i32s; lengths are in bytes; strings are UTF-8 without a terminator.",
    "- A `mut-buffer` is a (pointer, capacity) pair: the host writes at most capacity bytes and reports how many through an output. With `no-space` nothing is written but that length, which then holds the size needed.",
    "- Ranges are checked as unsigned 32-bit values without wrap-around: pointer + length must not exceed the memory size.",
    "- Handles are u32 values the host issues to one module. They stay valid until released or until the module stops; the host releases everything a module still holds when it stops.",
    "",
    "## Parameter lowering",
    "",
    "How each rich parameter type of this ABI becomes wasm values:",
    "",
    table(["Type", "wasm parameters"], byTypeOrder(distinct(params.map((p) => [
      code(genericName(p.type)),
      code(p.flat.map((f) => `${f.name.replace(p.spec.name, "<name>")}: ${f.type}${f.pointer ? " (pointer)" : ""}`).join(", ")),
    ])))),
    "",
    "## Out-pointer layout",
    "",
    "Outputs follow the parameters as one i32 pointer each, in the order the function lists them. The host stores each output at its pointer, little-endian, with no alignment requirement:",
    "",
    table(["Output type", "Bytes", "Stored as"], byTypeOrder(distinct(outputs.map((o) => [code(genericName(o.type)), String(o.size), o.store])))),
    "",
    "## wasm3 signatures",
    "",
    "Each function page gives the wasm3 signature string the C host links with: the result first (`v` none, `i` i32, `I` i64, `f` f32, `F` f64), then the parameters in parentheses, with `*` for an i32 that is a guest pointer.",
    "",
    "## Lifecycle exports",
    "",
    "The module exports these; the host calls them and never more than one at a time.",
    "",
    table(["Export", "Signature", "Required", "Since", "Meaning"],
      abi.lifecycle.map((l) => [code(l.spec.name), code(l.signature), l.spec.required ? "yes" : "no", l.spec.since, l.spec.doc])),
    "",
    ...abi.lifecycle.filter((l) => l.spec.params.length).flatMap((l) => [
      `Parameters of ${code(l.spec.name)}:`,
      "",
      table(["Name", "Type", "Meaning"], l.spec.params.map((p) => [code(p.name), code(p.type), p.doc])),
      "",
    ]),
    "## Events",
    "",
    "Event kinds are unique across all interfaces and arrive through `fwx_on_event(kind, handle, arg)`.",
    "",
    table(["Kind", "Interface", "Event", "Handle", "arg", "Since"],
      abi.interfaces.flatMap((i) => i.events.map((e) => [String(e.kind), `[${i.name}](${i.name}.md)`, code(e.name), code(`handle<${e.handle}>`), e.arg, e.since]))),
    "",
    "## Capabilities",
    "",
    "What a module must be granted (by the board profile, its certificate and its manifest) before a function checked against it succeeds.",
    "",
    table(["Id", "Capability", "Interface", "Scope", "Since", "Meaning"],
      abi.interfaces.flatMap((i) => i.capabilities.map((c) => [String(c.id), code(c.name), `[${i.name}](${i.name}.md)`, c.scope, c.since, c.doc]))),
    "",
    "## Versioning",
    "",
    "Interfaces are versioned independently. A new function needs a minor bump, a removed or changed one a major bump (and with it a new import module name); released status code values never change. `npm run gen -- --check` enforces this against `host-abi/abi.lock.json`; see [ABI versioning](../abi-versioning.md).",
  ];
  return page(header, lines);
}

function statusPage(abi: LoweredAbi, header: string): string {
  const lines = [
    "# Status codes",
    "",
    "[ABI index](README.md)",
    "",
    "Status functions return one of these as an i32. Values are permanent: a released value never changes or gets reused; new codes are appended.",
    "",
    table(["Value", "Name", "Group", "Since", "Meaning"],
      abi.statusCodes.map((s) => [String(s.value), code(s.name), s.group, s.since, s.doc])),
    "",
    "## Functions returning each code",
    "",
    "Every status function can return `ok`; the other codes come only from the functions listed.",
    "",
    table(["Name", "Returned by"], abi.statusCodes.filter((s) => s.name !== "ok").map((s) => [
      code(s.name),
      abi.functions.filter((f) => f.statuses.includes(s.name)).map((f) => functionLink(f, true)).join(", ") || "no function of this ABI version",
    ])),
  ];
  return page(header, lines);
}

export const emitDocs: Emitter = (abi) => {
  const header = generatedHeader("emit-docs", "<!--");
  const files: GeneratedFile[] = [
    { path: `${DIR}/README.md`, content: indexPage(abi, header) },
    { path: `${DIR}/status-codes.md`, content: statusPage(abi, header) },
  ];
  for (const i of abi.interfaces) files.push({ path: `${DIR}/${i.name}.md`, content: interfacePage(abi, i, header) });
  return files;
};
