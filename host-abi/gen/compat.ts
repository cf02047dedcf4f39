// The compatibility check: compares the current spec with the released ABI
// recorded in host-abi/abi.lock.json and names every change whose version
// bump is missing. Modules built against a released interface must keep
// linking and keep meaning the same thing on every later host of the same
// major version; this is what enforces it.

import type { LoweredAbi } from "./lower.js";
import { buildLock, type AbiLock, type LockedFunction, type LockedInterface, type LockedParam } from "./lock.js";
import { compareVersions } from "./validate.js";

/** How big a version bump a change needs; "never" cannot be made at all. */
export type BumpLevel = "patch" | "minor" | "major" | "never";

export interface AbiChange {
  /** Whose version the change is measured against: an interface name, or null for the ABI as a whole. */
  scope: string | null;
  /** What changed, e.g. "gpio.write" or "status code busy". */
  subject: string;
  what: string;
  level: BumpLevel;
}

// ---- diffing

const list = (items: string[]) => (items.length ? items.join(", ") : "none");
const params = (ps: LockedParam[]) => `(${ps.map((p) => `${p.name}: ${p.type}`).join(", ")})`;

function diffFunction(scope: string, subject: string, was: LockedFunction, now: LockedFunction, out: AbiChange[]): void {
  const change = (what: string, level: BumpLevel) => out.push({ scope, subject, what, level });
  let explained = false;
  const diffParams = (kind: "parameter" | "output", a: LockedParam[], b: LockedParam[]) => {
    if (a.length !== b.length) {
      change(`${kind}s changed ${params(a)} → ${params(b)}`, "major");
      explained = true;
      return;
    }
    a.forEach((p, n) => {
      const q = b[n]!;
      if (p.type !== q.type) { change(`${kind} ${p.name} changed ${p.type} → ${q.type}`, "major"); explained = true; }
      if (p.name !== q.name) change(`${kind} ${n + 1} renamed ${p.name} → ${q.name}`, "patch");
    });
  };
  diffParams("parameter", was.params, now.params);
  diffParams("output", was.outputs, now.outputs);
  if (was.result !== now.result) { change(`result changed ${was.result} → ${now.result}`, "major"); explained = true; }
  if (!explained && was.signature !== now.signature) change(`wasm signature changed ${was.signature} → ${now.signature}`, "major");
  else if (!explained && was.wasm3 !== now.wasm3) change(`wasm3 signature changed ${was.wasm3} → ${now.wasm3}`, "major");
  if (was.capability !== now.capability) change(`capability changed ${was.capability ?? "none"} → ${now.capability ?? "none"}`, "major");
  if (was.since !== now.since) change(`since changed ${was.since} → ${now.since}`, "major");
  const added = now.statuses.filter((s) => !was.statuses.includes(s));
  const removed = was.statuses.filter((s) => !now.statuses.includes(s));
  if (added.length) change(`may now return ${list(added)}`, "patch");
  if (removed.length) change(`no longer returns ${list(removed)}`, "patch");
}

/** Diffs two name → number tables (enum cases, flag bits, capability ids). */
function diffNumbered(scope: string, subject: string, what: string, was: Record<string, number>, now: Record<string, number>, added: BumpLevel, out: AbiChange[]): void {
  for (const [name, value] of Object.entries(was)) {
    if (!(name in now)) out.push({ scope, subject, what: `${what} ${name} (${value}) removed`, level: "major" });
    else if (now[name] !== value) out.push({ scope, subject, what: `${what} ${name} changed ${value} → ${now[name]}`, level: "major" });
  }
  for (const [name, value] of Object.entries(now)) {
    if (!(name in was)) out.push({ scope, subject, what: `new ${what} ${name} (${value})`, level: added });
  }
}

function diffInterface(name: string, was: LockedInterface, now: LockedInterface, out: AbiChange[]): void {
  const push = (subject: string, what: string, level: BumpLevel) => out.push({ scope: name, subject, what, level });
  for (const [fname, f] of Object.entries(was.functions)) {
    const g = now.functions[fname];
    if (!g) push(`${name}.${fname}`, `released function removed (import "${was.module}" "${fname}")`, "major");
    else diffFunction(name, `${name}.${fname}`, f, g, out);
  }
  for (const fname of Object.keys(now.functions)) {
    if (!(fname in was.functions)) push(`${name}.${fname}`, "new function", "minor");
  }
  const diffTables = (kind: "enum" | "flags", what: string, a: Record<string, Record<string, number>>, b: Record<string, Record<string, number>>) => {
    for (const [t, cases] of Object.entries(a)) {
      const subject = `${name}.${kind}<${t}>`;
      if (!b[t]) push(subject, `released ${kind} removed`, "major");
      else diffNumbered(name, subject, what, cases, b[t], "patch", out);
    }
    for (const t of Object.keys(b)) if (!a[t]) push(`${name}.${kind}<${t}>`, `new ${kind}`, "patch");
  };
  diffTables("enum", "case", was.enums, now.enums);
  diffTables("flags", "flag", was.flags, now.flags);
  for (const h of was.handles) if (!now.handles.includes(h)) push(`${name}.handle<${h}>`, "released handle kind removed", "major");
  for (const h of now.handles) if (!was.handles.includes(h)) push(`${name}.handle<${h}>`, "new handle kind", "patch");
  for (const [e, ev] of Object.entries(was.events)) {
    const cur = now.events[e];
    if (!cur) push(`${name}.event ${e}`, `released event (kind ${ev.kind}) removed`, "major");
    else {
      if (cur.kind !== ev.kind) push(`${name}.event ${e}`, `kind changed ${ev.kind} → ${cur.kind}`, "major");
      if (cur.handle !== ev.handle) push(`${name}.event ${e}`, `handle kind changed ${ev.handle} → ${cur.handle}`, "major");
    }
  }
  for (const [e, ev] of Object.entries(now.events)) if (!was.events[e]) push(`${name}.event ${e}`, `new event (kind ${ev.kind})`, "patch");
  diffNumbered(name, `${name} capabilities`, "capability", was.capabilities, now.capabilities, "minor", out);
}

/** Every difference between the released ABI (the lock) and the current one, with the bump each needs. */
export function diffAbi(was: AbiLock, now: AbiLock): AbiChange[] {
  const out: AbiChange[] = [];
  for (const [name, value] of Object.entries(was.statusCodes)) {
    const cur = now.statusCodes[name];
    if (cur === undefined) out.push({ scope: null, subject: `status code ${name}`, what: `released value ${value} removed`, level: "never" });
    else if (cur !== value) out.push({ scope: null, subject: `status code ${name}`, what: `value changed ${value} → ${cur}`, level: "never" });
  }
  for (const [name, value] of Object.entries(now.statusCodes)) {
    if (!(name in was.statusCodes)) out.push({ scope: null, subject: `status code ${name}`, what: `new status code (${value})`, level: "patch" });
  }
  for (const [name, l] of Object.entries(was.lifecycle)) {
    const cur = now.lifecycle[name];
    const subject = `lifecycle export ${name}`;
    if (!cur) { out.push({ scope: null, subject, what: "released export removed", level: "major" }); continue; }
    if (cur.signature !== l.signature) out.push({ scope: null, subject, what: `signature changed ${l.signature} → ${cur.signature}`, level: "major" });
    if (cur.since !== l.since) out.push({ scope: null, subject, what: `since changed ${l.since} → ${cur.since}`, level: "major" });
    // Making an export required rejects every module built without it; making it optional only widens what a host accepts.
    if (cur.required && !l.required) out.push({ scope: null, subject, what: "became required", level: "major" });
    if (!cur.required && l.required) out.push({ scope: null, subject, what: "became optional", level: "minor" });
  }
  for (const [name, l] of Object.entries(now.lifecycle)) {
    if (!(name in was.lifecycle)) out.push({ scope: null, subject: `lifecycle export ${name}`, what: l.required ? "new required export" : "new optional export", level: l.required ? "major" : "minor" });
  }
  for (const [name, iface] of Object.entries(was.interfaces)) {
    const cur = now.interfaces[name];
    if (!cur) out.push({ scope: null, subject: `interface ${name}`, what: `released interface removed (module "${iface.module}")`, level: "major" });
    else diffInterface(name, iface, cur, out);
  }
  for (const name of Object.keys(now.interfaces)) {
    if (!(name in was.interfaces)) out.push({ scope: null, subject: `interface ${name}`, what: "new interface", level: "minor" });
  }
  return out;
}

// ---- judging the diff against the version bumps

function parseVersion(v: string): [number, number, number] {
  const [a, b, c] = v.split(".").map(Number);
  return [a!, b!, c!];
}

/** The smallest version after `released` that allows a change of this level. */
export function requiredVersion(released: string, level: Exclude<BumpLevel, "never">): string {
  const [maj, min, pat] = parseVersion(released);
  if (level === "major") return `${maj + 1}.0.0`;
  if (level === "minor") return `${maj}.${min + 1}.0`;
  return `${maj}.${min}.${pat + 1}`;
}

function bumpAllows(released: string, current: string, level: Exclude<BumpLevel, "never">): boolean {
  const [rM, rm] = parseVersion(released);
  const [cM, cm] = parseVersion(current);
  if (level === "major") return cM > rM;
  if (level === "minor") return cM > rM || (cM === rM && cm > rm);
  return compareVersions(current, released) > 0;
}

const LEVEL_WORDS: Record<Exclude<BumpLevel, "never">, string> = {
  major: "a breaking change needs",
  minor: "an addition needs at least",
  patch: "this needs at least",
};

export interface CompatResult {
  /** Every change since the lock (released or not), for reporting. */
  changes: AbiChange[];
  /** One sentence per problem; empty when the current spec is a valid successor of the lock. */
  violations: string[];
}

/** Compares the current ABI with the released one recorded in the lock. */
export function checkCompat(lock: AbiLock, abi: LoweredAbi): CompatResult {
  const now = buildLock(abi);
  const violations: string[] = [];
  const versionOf = (scope: string | null) => ({
    label: scope ?? "ABI",
    released: scope === null ? lock.abiVersion : lock.interfaces[scope]!.version,
    current: scope === null ? now.abiVersion : now.interfaces[scope]!.version,
  });

  if (compareVersions(now.abiVersion, lock.abiVersion) < 0)
    violations.push(`ABI version went backwards: released ${lock.abiVersion}, spec says ${now.abiVersion}`);
  for (const [name, iface] of Object.entries(now.interfaces)) {
    const was = lock.interfaces[name];
    if (was && compareVersions(iface.version, was.version) < 0)
      violations.push(`${name}: version went backwards: released ${was.version}, spec says ${iface.version}`);
  }

  const changes = diffAbi(lock, now);
  for (const c of changes) {
    if (c.level === "never") {
      // One value table serves every interface major version a host runs side by side, so a released value can never be reused or renumbered.
      violations.push(`${c.subject}: ${c.what}: released status code values are permanent in every ABI version; add a new code instead`);
      continue;
    }
    const v = versionOf(c.scope);
    if (!bumpAllows(v.released, v.current, c.level))
      violations.push(`${c.subject}: ${c.what}: ${LEVEL_WORDS[c.level]} ${v.label} ${requiredVersion(v.released, c.level)} (is ${v.current})`);
  }
  violations.push(...sinceViolations(lock, now, abi));
  return { changes, violations };
}

/**
 * Items added after a release must say so in `since`: the module's fwx.abi
 * requirement is computed from the newest `since` among its imports, so an
 * added function claiming an old `since` would let a module load on a host
 * that lacks it.
 */
function sinceViolations(lock: AbiLock, now: AbiLock, abi: LoweredAbi): string[] {
  const problems: string[] = [];
  // The version that adds it: the bumped one, or, before a minor bump, the minor an addition needs.
  const adding = (released: string, current: string) => {
    const needed = requiredVersion(released, "minor");
    return compareVersions(current, needed) >= 0 ? current : needed;
  };
  const stale = (subject: string, what: string, since: string, label: string, released: string, current: string) =>
    problems.push(`${subject}: new ${what} has since ${since}, which is not newer than the released ${label} ${released}; set since to the version that adds it (${adding(released, current)})`);
  for (const iface of abi.interfaces) {
    const was = lock.interfaces[iface.name];
    if (!was) continue;
    const v = iface.spec.version;
    for (const f of iface.functions) {
      if (!(f.name in was.functions) && compareVersions(f.spec.since, was.version) <= 0) stale(`${iface.name}.${f.name}`, "function", f.spec.since, iface.name, was.version, v);
    }
    for (const e of iface.enums) {
      for (const c of e.cases) {
        if (!(c.name in (was.enums[e.name] ?? {})) && compareVersions(c.since, was.version) <= 0) stale(`${iface.name}.enum<${e.name}>`, `case ${c.name}`, c.since, iface.name, was.version, v);
      }
    }
  }
  for (const s of abi.statusCodes) {
    if (!(s.name in lock.statusCodes) && compareVersions(s.since, lock.abiVersion) <= 0) stale(`status code ${s.name}`, "status code", s.since, "ABI", lock.abiVersion, now.abiVersion);
  }
  for (const [name, l] of Object.entries(now.lifecycle)) {
    if (!(name in lock.lifecycle) && compareVersions(l.since, lock.abiVersion) <= 0)
      problems.push(`lifecycle export ${name}: new export has since ${l.since}, which is not newer than the released ABI ${lock.abiVersion}; set since to ${adding(lock.abiVersion, now.abiVersion)}`);
  }
  return problems;
}
