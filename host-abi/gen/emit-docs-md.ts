// Markdown building blocks of the reference docs emitter, and the wording of
// what the host checks, derived only from the lowered model.

import type { LoweredFunction, LoweredOutput, LoweredParam } from "./lower.js";
import { typeToString } from "./types.js";

/** Escapes text for one table cell: pipes would split it, newlines would end the row. */
export function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** A whole page: the generated header, then the lines with blank runs collapsed and one final newline. */
export function page(header: string, lines: string[]): string {
  return header + "\n" + lines.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
}

export function code(text: string): string {
  return "`" + text + "`";
}

export function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

/** The doc's first sentence: the function summary in tables. */
export function summary(doc: string): string {
  const m = /^.*?[.!?](?=\s+[A-Z`]|$)/s.exec(doc.trim());
  return m ? m[0] : doc.trim();
}

/** Anchor id of a function's section, shared by the interface page and the cross references. */
export function functionAnchor(f: LoweredFunction): string {
  return `${f.iface}.${f.name}`;
}

export function functionLink(f: LoweredFunction, fromIndex: boolean): string {
  return `[${f.iface}.${f.name}](${fromIndex ? `${f.iface}.md` : ""}#${functionAnchor(f)})`;
}

export function hex32(n: number): string {
  return "0x" + (n >>> 0).toString(16).padStart(8, "0");
}

export function flatParamsText(p: LoweredParam): string {
  return p.flat.map((f) => `${f.name}: ${f.type}${f.pointer ? " (pointer)" : ""}`).join(", ");
}

/**
 * What the host verifies about one parameter before the implementation runs,
 * and what happens when it fails. Functions that return no status (value and
 * `never` functions) cannot answer `invalid-arg`, so for them only the
 * expectation and the traps are stated.
 */
export function hostCheck(p: LoweredParam, returnsStatus: boolean): string {
  const m = p.marshal;
  const invalid = (expectation: string) => (returnsStatus ? `${expectation}, else \`invalid-arg\`` : `expected ${expectation}`);
  switch (m.kind) {
    case "int":
      return m.range ? invalid(`${m.range[0]} ≤ value ≤ ${m.range[1]}`) : `none: every ${m.scalar} value is passed on`;
    case "float": return `none: every ${m.scalar} bit pattern is passed on`;
    case "bool": return invalid("0 or 1");
    case "enum": return invalid(`one of ${m.values.join(", ")} (enum ${m.name})`);
    case "flags": return invalid(`no bits outside ${hex32(m.mask)} (flags ${m.name})`);
    case "handle": return `a ${m.name} handle this module owns, else trap`;
    case "string": case "buffer": case "mut-buffer": {
      const [ptr, len] = p.flat;
      const range = `${code(`[${ptr!.name}, ${ptr!.name} + ${len!.name})`)} inside linear memory (unsigned, no wrap-around), else trap`;
      return m.kind === "string" ? `${range}; ${invalid("valid UTF-8")}` : range;
    }
  }
}

export function outputEncoding(o: LoweredOutput): string {
  const rich = typeToString(o.type);
  switch (o.store) {
    case "f32": return "IEEE-754 single, little-endian";
    case "f64": return "IEEE-754 double, little-endian";
    case "u64": case "i64": return `${o.store}, little-endian`;
    default: return rich === o.store ? `${o.store}, little-endian` : `${o.store}, little-endian (${rich})`;
  }
}

/** A WAT import declaration of the function, as a module would write it. */
export function watImport(f: LoweredFunction): string {
  const params = f.flat.params.map((p) => ` (param $${p.name} ${p.type})`).join("");
  const results = f.flat.results.map((r) => ` (result ${r})`).join("");
  return `(import "${f.module}" "${f.name}" (func $${f.symbol}${params}${results}))`;
}
