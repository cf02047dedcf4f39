// Linking: every import a module declares must be an ABI function this device
// offers, with exactly the ABI's signature, and every interface version the
// module's fwx.abi section asks for must be available. Anything else refuses
// the start with one line per offending import, so an integrator sees all of
// them at once instead of the first LinkError V8 happens to throw.

import { decodeAbiSection, ABI_SECTION_NAME, AbiSectionError } from "../wasm/abi-section.js";
import { formatSignature, type ParsedModule } from "../wasm/reader.js";
import { LOWERED, offeredInterfaces } from "./abi.js";

export interface LinkProblem {
  /** "fwx:gpio@1.write", or "fwx.abi section" for version requirements. */
  importName: string;
  /** Byte offset of the import entry in the module, when it is one. */
  offset?: number;
  expected: string;
  found: string;
}

export interface LinkReport {
  ok: boolean;
  problems: LinkProblem[];
  /** The interfaces this device offers, e.g. "core@1.0, timer@1.0, …". */
  offered: string;
}

const IFACE_MODULE = /^fwx:([a-z][a-z0-9-]*)@(\d+)$/;

export function linkModule(module: ParsedModule): LinkReport {
  const problems: LinkProblem[] = [];
  const ifaces = new Map(LOWERED.interfaces.map((i) => [i.name, i]));
  for (const im of module.imports) {
    const importName = `${im.module}.${im.name}`;
    const at = { importName, offset: im.offset };
    if (im.kind === "memory") continue; // the agent supplies a capped memory under any name
    if (im.kind !== "func" || !im.signature) {
      problems.push({ ...at, expected: "a function import from fwx:<interface>@<major>", found: `a ${im.kind} import` });
      continue;
    }
    const m = IFACE_MODULE.exec(im.module);
    if (!m) {
      problems.push({ ...at, expected: "an import module named fwx:<interface>@<major>", found: `unknown import module "${im.module}"` });
      continue;
    }
    const iface = ifaces.get(m[1]!);
    if (!iface) {
      problems.push({ ...at, expected: `one of the device's interfaces`, found: `unknown interface "${m[1]}"` });
      continue;
    }
    if (Number(m[2]) !== iface.major) {
      problems.push({ ...at, expected: `${iface.name}@${iface.major}`, found: `${iface.name}@${m[2]} (major version not offered)` });
      continue;
    }
    const fn = LOWERED.functionByImport.get(`${im.module}\0${im.name}`);
    if (!fn) {
      problems.push({ ...at, expected: `one of ${iface.functions.map((f) => f.name).join(", ")}`, found: `unknown function "${im.name}" in ${iface.name}@${iface.major}.${iface.minor}` });
      continue;
    }
    const signature = formatSignature(im.signature);
    if (fn.signature !== signature) problems.push({ ...at, expected: fn.signature, found: signature });
  }
  const abiSection = module.customSections.find((s) => s.name === ABI_SECTION_NAME);
  if (abiSection) {
    try {
      for (const req of decodeAbiSection(abiSection.payload)) {
        const iface = ifaces.get(req.name);
        const wanted = `${req.name}@${req.major}.${req.minor}`;
        if (!iface) problems.push({ importName: "fwx.abi section", expected: "an interface this device offers", found: `${wanted} (unknown interface)` });
        else if (iface.major !== req.major || iface.minor < req.minor) {
          problems.push({ importName: "fwx.abi section", expected: `${iface.name}@${iface.major}.${iface.minor} or older minor`, found: wanted });
        }
      }
    } catch (e) {
      if (!(e instanceof AbiSectionError)) throw e;
      problems.push({ importName: "fwx.abi section", offset: abiSection.payloadOffset, expected: "a well-formed fwx.abi section", found: e.message });
    }
  }
  return { ok: problems.length === 0, problems, offered: offeredInterfaces() };
}

export function formatLinkReport(report: LinkReport, file: string): string {
  const lines = [`${file}: cannot link ${report.problems.length} import${report.problems.length === 1 ? "" : "s"}:`];
  for (const p of report.problems) {
    const where = p.offset !== undefined ? ` (byte 0x${p.offset.toString(16)})` : "";
    lines.push(`  ${p.importName}${where}: expected ${p.expected}, found ${p.found}`);
  }
  lines.push(`  this device offers: ${report.offered}`);
  return lines.join("\n");
}
