// Checks everything about the ABI source that its TypeScript types cannot,
// and names each problem by its item path, e.g.
//   interfaces[gpio].functions[write].params[level].type: unknown type "boo"

import type { AbiSpec, FunctionSpec, InterfaceSpec } from "../schema.js";
import { TRAP_HANDLE, TRAP_MEMORY, TRAP_OUTPUT } from "../spec/common.js";
import { isValueChecked, parseType, wasmTypeOf, type RichType } from "./types.js";

export class AbiSpecError extends Error {
  constructor(readonly problems: string[]) {
    super(`the host ABI source has ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
    this.name = "AbiSpecError";
  }
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const SNAKE = /^[a-z][a-z0-9_]*$/;
const KEBAB = /^[a-z][a-z0-9-]*$/;
const IFACE = /^[a-z][a-z0-9]*$/;
/** Upper bound of a host call's fuel fields: a larger figure is a typo, and 2^20 × a 4 GiB length still fits an i64. */
const MAX_HOST_CALL_FUEL = 1 << 20;

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

export function validateAbi(spec: AbiSpec): void {
  const problems: string[] = [];
  const bad = (path: string, msg: string) => problems.push(`${path}: ${msg}`);

  const checkDoc = (path: string, doc: unknown) => {
    if (typeof doc !== "string" || doc.trim() === "") bad(`${path}.doc`, "missing documentation");
  };
  const checkSince = (path: string, since: unknown, ceiling: string) => {
    if (typeof since !== "string" || !SEMVER.test(since)) bad(`${path}.since`, `"${String(since)}" is not a MAJOR.MINOR.PATCH version`);
    else if (SEMVER.test(ceiling) && compareVersions(since, ceiling) > 0) bad(`${path}.since`, `${since} is newer than its container's version ${ceiling}`);
    else if (SEMVER.test(ceiling) && since.split(".")[0] !== ceiling.split(".")[0]) bad(`${path}.since`, `${since} is from another major version than ${ceiling}`);
  };
  const unique = <T>(path: string, items: T[], key: (t: T) => unknown, what: string) => {
    const seen = new Set<unknown>();
    for (const it of items) {
      const k = key(it);
      if (seen.has(k)) bad(path, `duplicate ${what} ${JSON.stringify(k)}`);
      seen.add(k);
    }
  };

  if (!SEMVER.test(spec.version)) bad("version", `"${spec.version}" is not a MAJOR.MINOR.PATCH version`);
  if (!/^[a-z][a-z0-9._-]*$/.test(spec.customSection)) bad("customSection", `"${spec.customSection}" is not a valid section name`);

  // Status codes.
  unique("statusCodes", spec.statusCodes, (s) => s.name, "name");
  unique("statusCodes", spec.statusCodes, (s) => s.value, "value");
  const ok = spec.statusCodes.find((s) => s.name === "ok");
  if (!ok || ok.value !== 0) bad("statusCodes", `"ok" must exist with value 0`);
  for (const s of spec.statusCodes) {
    const p = `statusCodes[${s.name}]`;
    if (!KEBAB.test(s.name)) bad(p, "name must be kebab-case");
    if (!Number.isInteger(s.value) || s.value < 0 || s.value > 0x7fffffff) bad(`${p}.value`, "must be a non-negative i32");
    checkSince(p, s.since, spec.version);
    checkDoc(p, s.doc);
  }
  const statusNames = new Set(spec.statusCodes.map((s) => s.name));

  // Lifecycle exports.
  unique("lifecycle", spec.lifecycle, (l) => l.name, "export");
  if (spec.lifecycle.filter((l) => l.required).map((l) => l.name).join() !== "fwx_init") bad("lifecycle", "exactly fwx_init must be required");
  for (const l of spec.lifecycle) {
    const p = `lifecycle[${l.name}]`;
    if (!/^fwx_[a-z0-9_]+$/.test(l.name)) bad(p, "export names start with fwx_");
    checkSince(p, l.since, spec.version);
    checkDoc(p, l.doc);
    l.params.forEach((prm) => {
      const t = parseType(prm.type);
      if (typeof t === "string" || wasmTypeOf(t) === null) bad(`${p}.params[${prm.name}].type`, "must be a scalar type");
    });
    if (l.result !== "none") {
      const t = parseType(l.result);
      if (typeof t === "string" || wasmTypeOf(t) === null) bad(`${p}.result`, "must be none or a scalar type");
    }
  }

  // Interfaces.
  unique("interfaces", spec.interfaces, (i) => i.name, "interface");
  const allCaps = spec.interfaces.flatMap((i) => i.capabilities ?? []);
  unique("capabilities", allCaps, (c) => c.name, "capability name");
  unique("capabilities", allCaps, (c) => c.id, "capability id");
  const allEvents = spec.interfaces.flatMap((i) => i.events ?? []);
  unique("events", allEvents, (e) => e.kind, "event kind");
  const capNames = new Set(allCaps.map((c) => c.name));

  for (const iface of spec.interfaces) validateInterface(iface);

  function validateInterface(iface: InterfaceSpec) {
    const ip = `interfaces[${iface.name}]`;
    if (!IFACE.test(iface.name)) bad(ip, "interface names are lowercase letters and digits");
    if (!SEMVER.test(iface.version)) bad(`${ip}.version`, `"${iface.version}" is not a MAJOR.MINOR.PATCH version`);
    checkDoc(ip, iface.doc);
    const v = iface.version;
    for (const e of iface.enums ?? []) {
      const p = `${ip}.enums[${e.name}]`;
      if (!KEBAB.test(e.name)) bad(p, "name must be kebab-case");
      checkSince(p, e.since, v); checkDoc(p, e.doc);
      if (e.cases.length === 0) bad(p, "has no cases");
      unique(`${p}.cases`, e.cases, (c) => c.name, "case");
      unique(`${p}.cases`, e.cases, (c) => c.value, "value");
      for (const c of e.cases) {
        const cp = `${p}.cases[${c.name}]`;
        if (!KEBAB.test(c.name)) bad(cp, "name must be kebab-case");
        if (!Number.isInteger(c.value) || c.value < 0 || c.value > 0x7fffffff) bad(`${cp}.value`, "must be a non-negative i32");
        checkSince(cp, c.since, v); checkDoc(cp, c.doc);
      }
    }
    for (const f of iface.flags ?? []) {
      const p = `${ip}.flags[${f.name}]`;
      if (!KEBAB.test(f.name)) bad(p, "name must be kebab-case");
      checkSince(p, f.since, v); checkDoc(p, f.doc);
      unique(`${p}.flags`, f.flags, (x) => x.name, "flag");
      unique(`${p}.flags`, f.flags, (x) => x.bit, "bit");
      for (const x of f.flags) {
        const xp = `${p}.flags[${x.name}]`;
        if (!Number.isInteger(x.bit) || x.bit < 0 || x.bit > 31) bad(`${xp}.bit`, "must be 0..31");
        checkSince(xp, x.since, v); checkDoc(xp, x.doc);
      }
    }
    for (const h of iface.handles ?? []) {
      const p = `${ip}.handles[${h.name}]`;
      if (!KEBAB.test(h.name)) bad(p, "name must be kebab-case");
      checkSince(p, h.since, v); checkDoc(p, h.doc);
    }
    for (const e of iface.events ?? []) {
      const p = `${ip}.events[${e.name}]`;
      checkSince(p, e.since, v); checkDoc(p, e.doc);
      if (!Number.isInteger(e.kind) || e.kind <= 0) bad(`${p}.kind`, "must be a positive integer");
      if (!(iface.handles ?? []).some((h) => h.name === e.handle)) bad(`${p}.handle`, `no handle kind "${e.handle}" in this interface`);
    }
    for (const c of iface.capabilities ?? []) {
      const p = `${ip}.capabilities[${c.name}]`;
      if (!KEBAB.test(c.name)) bad(p, "name must be kebab-case");
      checkSince(p, c.since, v); checkDoc(p, c.doc);
      if (!c.scope) bad(`${p}.scope`, "missing scope description");
    }
    unique(`${ip}.functions`, iface.functions, (f) => f.name, "function");
    for (const f of iface.functions) validateFunction(iface, f, `${ip}.functions[${f.name}]`);
  }

  function resolveRef(iface: InterfaceSpec, t: RichType, path: string) {
    if (t.kind === "enum" && !(iface.enums ?? []).some((e) => e.name === t.name)) bad(path, `no enum "${t.name}" in interface ${iface.name}`);
    if (t.kind === "flags" && !(iface.flags ?? []).some((e) => e.name === t.name)) bad(path, `no flags "${t.name}" in interface ${iface.name}`);
    if (t.kind === "handle" && !(iface.handles ?? []).some((e) => e.name === t.name)) bad(path, `no handle kind "${t.name}" in interface ${iface.name}`);
  }

  function validateFunction(iface: InterfaceSpec, f: FunctionSpec, fp: string) {
    if (!SNAKE.test(f.name)) bad(fp, "function names are snake_case");
    checkSince(fp, f.since, iface.version);
    checkDoc(fp, f.doc);
    if (f.capability !== null && !capNames.has(f.capability)) bad(`${fp}.capability`, `no capability "${f.capability}" is declared`);
    unique(`${fp}.params`, [...f.params, ...(f.outputs ?? [])], (p) => p.name, "parameter");
    let needsInvalidArg = false, hasHandle = false, hasMemory = false;
    for (const p of f.params) {
      const pp = `${fp}.params[${p.name}]`;
      if (!SNAKE.test(p.name)) bad(pp, "parameter names are snake_case");
      checkDoc(pp, p.doc);
      const t = parseType(p.type);
      if (typeof t === "string") { bad(`${pp}.type`, t); continue; }
      resolveRef(iface, t, `${pp}.type`);
      if (t.kind === "handle") hasHandle = true;
      if (t.kind === "string" || t.kind === "buffer" || t.kind === "mut-buffer") hasMemory = true;
      if (isValueChecked(t)) needsInvalidArg = true;
    }
    for (const o of f.outputs ?? []) {
      const op = `${fp}.outputs[${o.name}]`;
      if (!SNAKE.test(o.name)) bad(op, "output names are snake_case");
      checkDoc(op, o.doc);
      const t = parseType(o.type);
      if (typeof t === "string") { bad(`${op}.type`, t); continue; }
      resolveRef(iface, t, `${op}.type`);
      if (wasmTypeOf(t) === null) bad(`${op}.type`, "outputs must be scalar (strings and buffers go through mut-buffer parameters)");
    }
    if (f.result !== "status" && f.result !== "never") {
      const t = parseType(f.result);
      if (typeof t === "string" || wasmTypeOf(t) === null) bad(`${fp}.result`, `must be "status", "never" or a scalar type`);
    }
    // Outputs are stored only after the call returns a status; a value
    // function returns its one value directly and a never function never returns.
    if (f.result !== "status" && (f.outputs ?? []).length) bad(`${fp}.outputs`, "only status functions use out-pointers");
    unique(`${fp}.errors`, f.errors, (e) => e.code, "status code");
    for (const e of f.errors) {
      const ep = `${fp}.errors[${e.code}]`;
      if (e.code === "ok") bad(ep, `"ok" is implied, do not list it`);
      else if (!statusNames.has(e.code)) bad(ep, `unknown status code "${e.code}"`);
      if (!e.when) bad(ep, "missing `when`");
    }
    if (f.result !== "status" && f.errors.length) bad(`${fp}.errors`, "only status functions return status codes");
    for (const [k, v] of Object.entries(f.fuel ?? {})) {
      if (k !== "base" && k !== "perByte") bad(`${fp}.fuel.${k}`, "unknown field (base, perByte)");
      else if (!Number.isInteger(v) || v < 0 || v > MAX_HOST_CALL_FUEL) bad(`${fp}.fuel.${k}`, `must be an integer 0..${MAX_HOST_CALL_FUEL}`);
    }
    const listed = new Set(f.errors.map((e) => e.code));
    if (f.result === "status" && needsInvalidArg && !listed.has("invalid-arg"))
      bad(`${fp}.errors`, "a parameter is range/enum/flags/UTF-8 checked, so invalid-arg must be listed");
    // A grant is enforced either by the call itself (answering not-permitted)
    // or by the call that issued the handle it takes; with neither, nothing would.
    if (f.capability !== null && !listed.has("not-permitted") && !hasHandle)
      bad(`${fp}.errors`, `needs capability ${f.capability} but takes no handle, so not-permitted must be listed`);
    const traps = f.traps ?? [];
    if (hasHandle && !traps.includes(TRAP_HANDLE)) bad(`${fp}.traps`, "takes a handle, so must document the foreign-handle trap");
    if (hasMemory && !traps.includes(TRAP_MEMORY)) bad(`${fp}.traps`, "takes guest memory, so must document the out-of-bounds trap");
    if ((f.outputs ?? []).length && !traps.includes(TRAP_OUTPUT)) bad(`${fp}.traps`, "has outputs, so must document the out-pointer trap");
  }

  if (problems.length) throw new AbiSpecError(problems);
}
