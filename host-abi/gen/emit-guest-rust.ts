// guest/rust/fwx-guest/src/lib.rs: the bindings a `no_std` Rust module uses
// (`--target wasm32-unknown-unknown`). One module per interface with its
// enums, flags and handles as u32 constants and types, and its functions in
// an `extern "C"` block linked to the interface's wasm import module. The
// calls are the raw ABI: unsafe, pointers into the module's own memory, an
// i32 status. Printed from the LoweredAbi only.
import { generatedHeader } from "./header.js";
import type { LoweredAbi, LoweredFunction, LoweredInterface, LoweredOutput } from "./lower.js";
import { pascal } from "./names.js";
import type { RichType, Scalar } from "./types.js";

export const GUEST_RUST_PATH = "guest/rust/fwx-guest/src/lib.rs";

const RUST_KEYWORDS = new Set([
  "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn", "for",
  "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static",
  "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do",
  "final", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
]);

const snake = (s: string): string => s.replace(/-/g, "_");
const shout = (s: string): string => snake(s).toUpperCase();

function ident(name: string, where: string): string {
  const n = snake(name);
  if (!/^[a-z_][a-z0-9_]*$/i.test(n) || RUST_KEYWORDS.has(n)) throw new Error(`emit-guest-rust: ${where}: "${name}" is not usable as a Rust identifier`);
  return n;
}

const SCALAR: Record<Scalar, string> = { u8: "u8", u16: "u16", u32: "u32", u64: "u64", i8: "i8", i16: "i16", i32: "i32", i64: "i64", f32: "f32", f64: "f64" };
const STORE: Record<LoweredOutput["store"], string> = { u32: "u32", i32: "i32", u64: "u64", i64: "i64", f32: "f32", f64: "f64" };

function valueType(t: RichType): string {
  switch (t.kind) {
    case "scalar": return SCALAR[t.scalar];
    case "bool": return "bool";
    case "enum": case "flags": return pascal(t.name);
    case "handle": return pascal(t.name);
    default: throw new Error(`emit-guest-rust: ${t.kind} has no by-value type`);
  }
}

const doc = (text: string, indent: string): string[] => text.split("\n").map((l) => `${indent}///${l ? ` ${l}` : ""}`);

function functionDecl(f: LoweredFunction, abi: LoweredAbi): string[] {
  const where = `${f.module} ${f.name}`;
  const params: string[] = [];
  for (const p of f.params) {
    const n = ident(p.spec.name, where);
    switch (p.marshal.kind) {
      case "string": case "buffer": params.push(`${n}: *const u8`, `${n}_len: u32`); break;
      case "mut-buffer": params.push(`${n}: *mut u8`, `${n}_cap: u32`); break;
      default: params.push(`${n}: ${valueType(p.type)}`);
    }
  }
  for (const o of f.outputs) params.push(`${ident(o.spec.name, where)}: *mut ${o.type.kind === "handle" ? pascal(o.type.name) : STORE[o.store]}`);
  const result = f.resultKind === "status" ? " -> i32" : f.resultKind === "never" ? " -> !" : ` -> ${valueType(f.resultType!)}`;
  const lines = [f.spec.doc, "", `\`${f.module}\` \`${f.name}\`, since ${f.spec.since}; wasm ${f.signature}.`];
  for (const p of f.params) lines.push(`- \`${p.spec.name}\` (${p.spec.type}): ${p.spec.doc}`);
  for (const o of f.outputs) lines.push(`- out \`${o.spec.name}\` (${o.spec.type}, ${o.size} bytes): ${o.spec.doc} Written only on \`status::OK\`.`);
  if (f.resultKind === "status") {
    lines.push("", `Returns \`status::OK\`${f.spec.errors.length ? " or:" : "; this call has no recoverable failure."}`);
    for (const e of f.spec.errors) lines.push(`- \`status::${shout(e.code)}\` (${abi.statusByName.get(e.code)!.value}): ${e.when}`);
  } else if (f.resultKind === "value") lines.push("", `Returns ${f.spec.result}.`);
  else lines.push("", "Never returns: the host ends the callback.");
  for (const t of f.spec.traps ?? []) lines.push("", `Traps when ${t}.`);
  lines.push("", f.capability ? `Capability: ${f.capability.name} (scoped by ${f.capability.scope}).` : "Needs no capability.");
  return [...doc(lines.join("\n"), "        "), `        #[link_name = "${f.name}"]`, `        pub fn ${ident(f.name, where)}(${params.join(", ")})${result};`];
}

function interfaceModule(iface: LoweredInterface, abi: LoweredAbi): string[] {
  const out = [...doc(`\`${iface.module}\` ${iface.spec.version}: ${iface.spec.doc}`, ""), `pub mod ${ident(iface.name, iface.name)} {`];
  out.push(`    /// The wasm import module of this interface.`, `    pub const MODULE: &str = "${iface.module}";`);
  for (const e of iface.enums) {
    out.push("", ...doc(`${e.doc} (since ${e.since})`, "    "), `    pub type ${pascal(e.name)} = u32;`);
    out.push(...doc(`The cases of [\`${pascal(e.name)}\`].`, "    "), `    pub mod ${ident(e.name, iface.name)} {`);
    for (const c of e.cases) out.push(...doc(c.doc, "        "), `        pub const ${shout(c.name)}: u32 = ${c.value};`);
    out.push("    }");
  }
  for (const f of iface.flags) {
    out.push("", ...doc(`${f.doc} Bit flags: combine with \`|\`. (since ${f.since})`, "    "), `    pub type ${pascal(f.name)} = u32;`);
    out.push(...doc(`The bits of [\`${pascal(f.name)}\`].`, "    "), `    pub mod ${ident(f.name, iface.name)} {`);
    for (const fl of f.flags) out.push(...doc(fl.doc, "        "), `        pub const ${shout(fl.name)}: u32 = 1 << ${fl.bit};`);
    out.push("    }");
  }
  for (const h of iface.handles) out.push("", ...doc(`${h.doc} (since ${h.since})`, "    "), `    pub type ${pascal(h.name)} = u32;`);
  if (iface.functions.length) {
    out.push("", `    #[link(wasm_import_module = "${iface.module}")]`, '    extern "C" {');
    iface.functions.forEach((f, i) => out.push(...(i ? [""] : []), ...functionDecl(f, abi)));
    out.push("    }");
  }
  out.push("}", "");
  return out;
}

export function emitGuestRust(abi: LoweredAbi): string {
  const lines = [
    "//! The fwx host ABI for `no_std` Rust modules (`--target wasm32-unknown-unknown`).",
    "//!",
    "//! Every function is a wasm import and `unsafe`: pointers are offsets into the",
    "//! module's own memory, and a status is an `i32` (`status::OK` is 0). A module",
    "//! defines the lifecycle exports itself, `#[no_mangle] pub extern \"C\"`:",
    ...abi.lifecycle.map((l) => `//! - \`fn ${l.spec.name}(${l.spec.params.map((p) => `${ident(p.name, l.spec.name)}: u32`).join(", ")})${l.spec.result === "none" ? "" : " -> i32"}\`${l.spec.required ? " (required)" : ""}: ${l.spec.doc}`),
    "//!",
    "//! docs/modules-c-rust.md shows how to build, test, pack and flash one.",
    "#![no_std]",
    "#![allow(clippy::missing_safety_doc)]",
    "",
    "/// Version of the host ABI these bindings were generated from.",
    `pub const ABI_VERSION: &str = "${abi.spec.version}";`,
    "",
    "/// Status codes: every call that can fail recoverably returns one.",
    "pub mod status {",
    ...abi.statusCodes.flatMap((s) => [...doc(`\`${s.name}\`: ${s.doc}`, "    "), `    pub const ${shout(s.name)}: i32 = ${s.value};`]),
    "}",
    "",
    "/// Event kinds the host passes to `fwx_on_event(kind, handle, arg)`.",
    "pub mod event {",
    ...abi.interfaces.flatMap((i) => i.events.flatMap((e) => [...doc(`${e.doc} handle: a ${i.name} ${e.handle}; arg: ${e.arg}. (since ${e.since})`, "    "), `    pub const ${shout(i.name)}_${shout(e.name)}: u32 = ${e.kind};`])),
    "}",
    "",
    ...abi.interfaces.flatMap((i) => interfaceModule(i, abi)),
  ];
  return `${generatedHeader("emit-guest-rust", "//")}${lines.join("\n")}`;
}
