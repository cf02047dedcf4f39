// The firmware's install check (firmware/fwx_module_check.c) as a test
// oracle: builds tests/c/one-verdict/verdict_tool.c with ASan and UBSan and
// compares its verdicts with `fwx validate --device-class mcu`
// (validateModule). Shared by the one-verdict corpus test and the limits
// agreement test, so both compare by the same rules.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect } from "vitest";
// @ts-expect-error -- a plain .mjs script without type declarations
import { ensureGcc } from "../../scripts/ensure-gcc.mjs";
import { validateModule, type ValidationResult } from "../../src/validate/validate.js";
import { instrumentFuel } from "../../src/fuel/instrument.js";
import { adaptForMcu } from "../../src/fuel/mcu.js";

const root = join(import.meta.dirname, "..", "..");
export const firmware = join(root, "firmware");
const SOURCES = ["fwx_abi_tables.c", "fwx_abi_section.c", "fwx_module_check.c", "fwx_code_check.c", "fwx_module_check_text.c", "fwx_support.c"];
const C_ERRORS = ["ok", "not-wasm", "truncated", "leb-overflow", "malformed", "too-many-imports", "bad-abi-section", "unsupported", "limit", "over-budget", "no-memory", "no-timer-callback", "invalid"];

export interface Entry { name: string; bytes: Uint8Array }
export interface CVerdict { accepted: boolean; error: string; offset: number }

/**
 * The verdict tool, built once for what it is built from: its path is named by a digest of gcc's
 * version, the options and every C source and header under firmware/ and tests/c/one-verdict/, so
 * the two test files that use it (often running at the same time) and later runs share one build
 * while nothing changed, and any edit builds a new one. One builder at a time (a lock directory);
 * the tool is linked under a temporary name and renamed, so no half-written tool is ever used.
 * The build stays in tests/c/build (gitignored), so the returned cleanup has nothing to remove.
 */
export function buildVerdictTool(): { tool: string; cleanup: () => void } {
  ensureGcc();
  // -Og -g1, as the C lane's sanitized builds (tests/c/run.mjs says why): cold, 4.3 -> 1.3 CPU-s.
  const args = ["-std=c99", "-Og", "-g1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", `-I${firmware}`];
  const toolSource = join(root, "tests", "c", "one-verdict", "verdict_tool.c");
  const h = createHash("sha256").update(JSON.stringify({ args, SOURCES, root })).update(spawnSync("gcc", ["--version"], { encoding: "utf8" }).stdout ?? "");
  for (const dir of [firmware, dirname(toolSource)]) {
    for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" }).sort()) {
      if (/\.[ch]$/.test(name)) h.update(`${name}\0`).update(readFileSync(join(dir, name))).update("\0");
    }
  }
  const dir = join(root, "tests", "c", "build", "verdict-tool");
  const tool = join(dir, `verdict_tool-${h.digest("hex").slice(0, 24)}`);
  const kept = { tool, cleanup: () => {} };
  if (existsSync(tool)) return kept;
  mkdirSync(dir, { recursive: true });
  const lock = `${tool}.lock`;
  for (const since = Date.now(); ;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      // A builder that died leaves its lock: older than any honest build, it is taken over.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 300_000) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() - since > 600_000) throw new Error(`${lock}: another build held this lock for 10 minutes`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (existsSync(tool)) return kept;
    const temp = `${tool}.${process.pid}.tmp`;
    const r = spawnSync("gcc", [...args, ...SOURCES.map((f) => join(firmware, f)), toolSource, "-o", temp], { encoding: "utf8" });
    if (r.status !== 0) {
      rmSync(temp, { force: true });
      throw new Error(`verdict_tool does not build:\n${r.stderr}`);
    }
    renameSync(temp, tool);
    // Tools built from older sources go (never the lock or the temporary file of a build under way).
    for (const old of readdirSync(dir)) if (/^verdict_tool-[0-9a-f]+$/.test(old) && join(dir, old) !== tool) rmSync(join(dir, old), { force: true });
    return kept;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The C check's verdict on each module, in one run of the tool (under a time limit). */
export function cVerdicts(tool: string, entries: readonly Entry[]): CVerdict[] {
  const frames: Buffer[] = [];
  for (const e of entries) {
    const head = Buffer.alloc(4);
    head.writeUInt32LE(e.bytes.length);
    frames.push(head, Buffer.from(e.bytes));
  }
  const r = spawnSync(tool, [], { input: Buffer.concat(frames), encoding: "utf8", maxBuffer: 64 << 20, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`verdict_tool failed (status ${r.status}, signal ${r.signal}):\n${r.stderr.slice(-4000)}`);
  const lines = r.stdout.trim().split("\n");
  expect(lines).toHaveLength(entries.length);
  return lines.map((l) => {
    const [a, e, o] = l.split(" ").map(Number);
    return { accepted: a === 1, error: C_ERRORS[e!] ?? `?${e}`, offset: o! };
  });
}

export const tsVerdict = (bytes: Uint8Array): ValidationResult => validateModule(bytes, { deviceClass: "mcu" });

export interface Comparison { disagreements: string[]; accepted: number; refused: number; moduleRefused: number }

// Most spec modules import nothing from fwx and export no fwx_init, so both
// refuse them for that alone. The second verdict compared is therefore the
// module's own: may wasm3 run it at all (structure, features, limits, RAM),
// whatever its imports and exports.
const MODULE_LEVEL = /^(malformed|malformed-name-section|limit-exceeded|unsupported-.*|memory-over-budget|ram-over-budget|invalid-module)$/;
// The one difference by design: a device installs the module after fwx has
// instrumented it for fuel and adapted it for wasm3 (src/fuel/mcu.ts), which
// adds the __fwx_ exports and the fwx.fuel section the validator refuses in
// a developer's module. The C check accepts them; the corpus test proves the
// device form of every module the validator accepts passes the C check.
export const DEVICE_FORM = new Set(["reserved-export", "reserved-section"]);
const C_MODULE_LEVEL = new Set(["not-wasm", "truncated", "leb-overflow", "malformed", "too-many-imports", "unsupported", "limit", "over-budget", "invalid"]);

/** Both verdicts (the module's own and the full one) on every entry; each difference named. */
export function compare(tool: string, entries: readonly Entry[]): Comparison {
  const c = cVerdicts(tool, entries);
  const out: Comparison = { disagreements: [], accepted: 0, refused: 0, moduleRefused: 0 };
  entries.forEach((e, i) => {
    const full = tsVerdict(e.bytes);
    const ts = { ok: full.errors.every((x) => DEVICE_FORM.has(x.code)), errors: full.errors.filter((x) => !DEVICE_FORM.has(x.code)) };
    const cv = c[i]!;
    const tsModule = ts.errors.some((x) => MODULE_LEVEL.test(x.code));
    if (tsModule !== C_MODULE_LEVEL.has(cv.error)) {
      out.disagreements.push(`${e.name}: module verdict: validate ${tsModule ? "refuses" : "accepts"} (${ts.errors.map((x) => `${x.code}@${x.offset}`).join(",")}), C ${cv.error}@${cv.offset}`);
      return;
    }
    if (tsModule) out.moduleRefused++;
    if (ts.ok === cv.accepted) {
      if (ts.ok) out.accepted++;
      else out.refused++;
      return;
    }
    const tsWhy = ts.errors.map((x) => `${x.code}@${x.offset}`).join(",") || "accepted";
    out.disagreements.push(`${e.name}: validate ${ts.ok ? "accepts" : `refuses (${tsWhy})`}, C ${cv.accepted ? "accepts" : `refuses (${cv.error}@${cv.offset})`}`);
  });
  return out;
}

/**
 * What a device decides: the C check on the form `fwx pack --target mcu`
 * makes (instrumented for fuel, adapted for wasm3), or on the module itself
 * when fwx cannot make that form (then no device ever receives it).
 */
export function cDeviceVerdicts(tool: string, entries: readonly Entry[]): (CVerdict & { deviceForm: boolean })[] {
  const forms = entries.map((e) => {
    try {
      return { name: e.name, bytes: adaptForMcu(instrumentFuel(e.bytes, { ramBound: {} }).bytes).bytes, deviceForm: true };
    } catch {
      return { ...e, deviceForm: false };
    }
  });
  return cVerdicts(tool, forms).map((v, i) => ({ ...v, deviceForm: forms[i]!.deviceForm }));
}
