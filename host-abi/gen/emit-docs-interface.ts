// One reference page per interface: docs/abi/<interface>.md.

import type { ImplementationStatus } from "./check-plan.js";
import type { LoweredAbi, LoweredFunction, LoweredInterface } from "./lower.js";
import { typeToString } from "./types.js";
import {
  code, flatParamsText, functionAnchor, hex32, hostCheck, outputEncoding, page, summary, table, watImport,
} from "./emit-docs-md.js";

function capabilitiesSection(i: LoweredInterface): string[] {
  if (!i.capabilities.length) return ["## Capabilities", "", "None: every module may call these functions."];
  return [
    "## Capabilities",
    "",
    "A call outside the module's grant returns `not-permitted`; the grant is scoped as shown.",
    "",
    table(["Capability", "Id", "Scope", "Since", "Meaning"],
      i.capabilities.map((c) => [code(c.name), String(c.id), c.scope, c.since, c.doc])),
  ];
}

function typesSection(i: LoweredInterface): string[] {
  const out: string[] = [];
  if (i.handles.length) {
    out.push("## Handles", "",
      "Handles are u32 values the host issues; each belongs to the module it was issued to. Passing one the module does not own traps.", "",
      table(["Handle", "Since", "Meaning"], i.handles.map((h) => [code(`handle<${h.name}>`), h.since, h.doc])), "");
  }
  if (i.enums.length) {
    out.push("## Enums", "");
    for (const e of i.enums) {
      out.push(`### enum ${e.name}`, "", `${e.doc} Since ${e.since}; passed as i32.`, "",
        table(["Value", "Case", "Since", "Meaning"], e.cases.map((c) => [String(c.value), code(c.name), c.since, c.doc])), "");
    }
  }
  if (i.flags.length) {
    out.push("## Flags", "");
    for (const f of i.flags) {
      out.push(`### flags ${f.name}`, "", `${f.doc} Since ${f.since}; passed as an i32 bit set.`, "",
        table(["Bit", "Mask", "Flag", "Since", "Meaning"], f.flags.map((x) => [String(x.bit), hex32(2 ** x.bit), code(x.name), x.since, x.doc])), "");
    }
  }
  if (i.events.length) {
    out.push("## Events", "",
      "Delivered through the module's `fwx_on_event(kind, handle, arg)` export.", "",
      table(["Kind", "Event", "Handle", "arg", "Since", "Meaning"],
        i.events.map((e) => [String(e.kind), code(e.name), code(`handle<${e.handle}>`), e.arg, e.since, e.doc])), "");
  }
  return out;
}

function resultText(f: LoweredFunction): string {
  switch (f.resultKind) {
    case "status": return "an i32 status code (0 = `ok`)";
    case "never": return "never: the call always traps";
    case "value": return `the ${typeToString(f.resultType!)} value directly (wasm ${f.flat.results[0]}); it cannot fail`;
  }
}

/** What a call is charged at its call site, on top of the call instruction (see the index page's "Fuel" section). */
function fuelText(f: LoweredFunction): string {
  const lengths = f.fuel.byteLengthParams.map((i) => code(f.flat.params[i]!.name));
  if (!lengths.length || f.fuel.perByte === 0) return `${f.fuel.base} per call`;
  return `${f.fuel.base} per call + ${f.fuel.perByte} per byte of ${lengths.join(" + ")}`;
}

function functionSection(abi: LoweredAbi, f: LoweredFunction): string[] {
  const s = f.spec;
  const cap = f.capability ? `${code(f.capability.name)} (scoped by ${f.capability.scope})` : "none";
  const out: string[] = [
    `<a id="${functionAnchor(f)}"></a>`,
    "",
    `### ${f.iface}.${f.name}`,
    "",
    s.doc,
    "",
    `- Since: ${s.since}`,
    `- Capability: ${cap}`,
    `- Returns: ${resultText(f)}`,
    `- Fuel: ${fuelText(f)}`,
    `- Flat signature: ${code(f.signature)}; wasm3: ${code(f.wasm3Signature)}`,
    "",
    "```wat",
    watImport(f),
    "```",
    "",
  ];
  if (f.params.length) {
    out.push("Parameters:", "",
      table(["Name", "Type", "wasm", "Meaning", "Host checks"],
        f.params.map((p) => [code(p.spec.name), code(typeToString(p.type)), code(flatParamsText(p)), p.spec.doc, hostCheck(p, f.resultKind === "status")])), "");
  } else {
    out.push("Parameters: none.", "");
  }
  if (f.outputs.length) {
    out.push("Outputs, written through the trailing out-pointer parameters on `ok` (on another status only where its row below says so):", "",
      table(["Name", "Type", "Pointer", "Bytes written", "Stored as", "Meaning"],
        f.outputs.map((o) => [code(o.spec.name), code(typeToString(o.type)), code(o.pointer), code(`[${o.pointer}, ${o.pointer} + ${o.size})`), outputEncoding(o), o.spec.doc])),
      "",
      "Every byte range in this table must lie inside linear memory, else the call traps.", "");
  }
  if (f.resultKind === "status") {
    const when = new Map(s.errors.map((e) => [e.code, e.when]));
    out.push("Statuses:", "",
      table(["Status", "Value", "When"], f.statuses.map((name) => [
        code(name), String(abi.statusByName.get(name)!.value), name === "ok" ? "the call succeeded" : when.get(name)!,
      ])), "");
  }
  out.push(...checksSection(f));
  const traps = s.traps ?? [];
  if (traps.length) out.push("Traps when:", "", ...traps.map((t) => `- ${t}`), "");
  if (s.notes?.length) out.push("Notes:", "", ...s.notes.map((n) => `- ${n}`), "");
  return out;
}

const RANK_TEXT: Record<ImplementationStatus["rank"], string> = {
  argument: "argument rules",
  grant: "the grant's scope",
  existence: "the resource exists",
  ability: "the resource can do it",
  state: "device state",
};

/** "Checks, in order": the lowered plan as the glues execute it (host-abi/gen/check-plan.ts). */
function checksSection(f: LoweredFunction): string[] {
  const items: string[] = [];
  for (const c of f.checks) {
    switch (c.step) {
      case "trap":
        if (c.check === "bounds") {
          const [ptr, len] = c.param.flat;
          items.push(`${code(`[${ptr!.name}, ${ptr!.name} + ${len!.name})`)} inside linear memory, else trap (${c.trap}).`);
        } else if (c.check === "out-pointer") {
          items.push(`out-pointer ${code(c.output.pointer)} (${c.output.size} bytes) inside linear memory, else trap (${c.trap}).`);
        } else {
          items.push(`${code(c.param.spec.name)} is a handle this module owns, else trap (${c.trap}).`);
        }
        break;
      case "value":
        items.push(`${code(c.param.spec.name)}: ${hostCheck(c.param, c.onFail === "invalid-arg").replace(/^.*; /, "")}${c.onFail === "trap" ? " (the call traps anyway; a bad value never reaches the implementation)" : ""}.`);
        break;
      case "capability":
        items.push(`the module was granted ${code(c.capability.name)} at all, else \`not-permitted\` (the implementation is not called).`);
        break;
      case "implementation":
        if (!c.statuses.length) items.push("the implementation runs; it returns `ok`.");
        else items.push(`the implementation runs and decides, in this order: ${c.statuses.map((x) => `${code(x.code)} (${RANK_TEXT[x.rank]}: ${x.when})`).join("; ")}.`);
        break;
    }
  }
  if (f.resultKind === "never") items.push(items.length ? "then the call always traps." : "the call always traps.");
  if (!items.length) return [];
  return ["Checks, in order (the first that fails decides the outcome; the TypeScript and C glues make them in this order):", "", ...items.map((t, i) => `${i + 1}. ${t}`), ""];
}

export function interfacePage(abi: LoweredAbi, i: LoweredInterface, header: string): string {
  const lines: string[] = [
    `# ${i.name} ${i.spec.version}`,
    "",
    `wasm import module ${code(i.module)} · [ABI index](README.md) · [status codes](status-codes.md)`,
    "",
    i.spec.doc,
    "",
    ...capabilitiesSection(i),
    "",
    ...typesSection(i),
    "## Functions",
    "",
    table(["Function", "wasm3", "Since", "Summary"],
      i.functions.map((f) => [`[${f.name}](#${functionAnchor(f)})`, code(f.wasm3Signature), f.spec.since, summary(f.spec.doc)])),
    "",
  ];
  for (const f of i.functions) lines.push(...functionSection(abi, f));
  return page(header, lines);
}
