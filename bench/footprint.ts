// What the C device runtime costs without wasm3: code and RAM per part
// (glue, install-time module check, package verifier, slot store,
// supervisor, and the OTA state machine / device core once they are in
// firmware/runtime/), on x86-64 (gcc -Os) and on Cortex-M4 (Debian's
// arm-none-eabi-gcc -Os -mcpu=cortex-m4 -mthumb, installed through
// scripts/ensure-arm-gcc.mjs). Run alone: npm run bench -- footprint
//
// Code is text + data of each object file (text includes read-only data;
// data is flash too, copied to RAM at start-up). Objects are summed before
// any link-time garbage collection, so an image that leaves some functions
// unused is smaller. RAM is the parts' static data + bss plus the structs the
// caller allocates for them (fwx_sup_t, fwx_slots_t, ...), whose sizeof is
// read from a probe object with the target's nm. The wasm3 header is the
// project's test double (tests/c/fake_wasm3/wasm3.h): the glue's raw
// functions only use wasm3's public types, so the figures hold for a real
// wasm3 build, whose own code and heap come on top (docs/firmware.md).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { BenchRow } from "./row.js";

const root = resolve(import.meta.dirname, "..");
const firmware = join(root, "firmware");
const runtime = join(firmware, "runtime");
const out = join(root, "tests", "c", "build", "footprint");

/** The goal of issue 9, for the Cortex-M4 build. */
export const GOAL_FLASH_BYTES = 24 * 1024;
export const GOAL_RAM_BYTES = 4 * 1024;

export interface Part {
  name: string;
  /** Source files, absolute paths; a part with none present is skipped (not yet on this branch). */
  sources: string[];
  /** Caller-allocated structs counted in the part's RAM. */
  structs: string[];
  /** Structs of the part shown on their own, not summed (they contain other parts' structs). */
  info?: string[];
  /** Header that declares them. */
  header?: string;
}

const inDir = (dir: string, re: RegExp) => (existsSync(dir) ? readdirSync(dir).filter((f) => re.test(f)).sort().map((f) => join(dir, f)) : []);

/** Each source file belongs to exactly one part, so the total counts it once. */
export function runtimeParts(): Part[] {
  const glueFiles = /^fwx_(abi_wasm3|abi_tables|fuel_wasm3|support)\.c$/;
  const checkFiles = /^fwx_(module_check|module_check_text|abi_section)\.c$/;
  const parts: Part[] = [
    { name: "glue", sources: inDir(firmware, glueFiles), structs: [] },
    { name: "module check", sources: inDir(firmware, checkFiles), structs: [] },
    { name: "verifier", sources: inDir(runtime, /^fwx_(pkg_[a-z_]+|revocations|cbor)\.c$/), structs: [], header: "fwx_pkg_verify.h" },
    { name: "slot store", sources: inDir(runtime, /^fwx_(slots[a-z_]*|crc32)\.c$/), structs: ["fwx_slots_t"], header: "fwx_slots.h" },
    { name: "supervisor", sources: inDir(runtime, /^fwx_sup(ervisor|_[a-z_]+)\.c$/), structs: ["fwx_sup_t"], header: "fwx_supervisor.h" },
    { name: "OTA", sources: inDir(runtime, /^fwx_(ota|json|delta|text)\.c$/), structs: ["fwx_ota"], header: "fwx_ota.h" },
    { name: "device core", sources: inDir(join(runtime, "device"), /\.c$/), structs: [], info: ["fwx_device"], header: "fwx_device.h" },
  ];
  const all = readdirSync(firmware).filter((f) => f.endsWith(".c"));
  const glued = all.filter((f) => !glueFiles.test(f) && !checkFiles.test(f));
  if (glued.length) throw new Error(`firmware/${glued.join(", ")}: not assigned to a footprint part (bench/footprint.ts)`);
  return parts.filter((p) => p.sources.length > 0);
}

/** Structs reported on their own (not summed: they live inside the parts' structs, or are per-module/per-call). */
const INFO_STRUCTS: [string, string][] = [
  ["fwx_module_t", "fwx_module.h"],
  ["fwx_fuel_t", "fwx_fuel_wasm3.h"],
  ["fwx_link_report_t", "fwx_abi_wasm3.h"],
  ["fwx_sup_module_t", "fwx_supervisor.h"],
  ["fwx_fault_t", "fwx_supervisor.h"],
  ["fwx_pkg_verified_t", "fwx_pkg_verify.h"],
  ["fwx_pkg_device_t", "fwx_pkg_verify.h"],
];

export interface Target {
  name: string;
  cc: string;
  size: string;
  nm: string;
  flags: string[];
}

export const TARGETS: Target[] = [
  { name: "x86-64", cc: "gcc", size: "size", nm: "nm", flags: ["-Os"] },
  { name: "Cortex-M4", cc: "arm-none-eabi-gcc", size: "arm-none-eabi-size", nm: "arm-none-eabi-nm", flags: ["-Os", "-mcpu=cortex-m4", "-mthumb"] },
];

const COMMON = ["-std=c99", "-ffunction-sections", "-fdata-sections", "-I", firmware, "-I", runtime, "-I", join(runtime, "device"), "-I", join(root, "tests", "c", "fake_wasm3")];

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}\n${r.stdout ?? ""}${r.stderr ?? r.error?.message ?? ""}`);
  return r.stdout;
}

export interface PartSize {
  part: string;
  text: number;
  data: number;
  bss: number;
  /** sizeof of each counted struct */
  structs: Record<string, number>;
}

/** Compiles every part for one target and reads text/data/bss and the structs' sizeof. */
export function measureTarget(t: Target, parts: Part[]): { parts: PartSize[]; info: Record<string, number> } {
  const dir = join(out, t.name);
  mkdirSync(dir, { recursive: true });
  const headers = [...new Set([...parts.map((p) => p.header).filter((h): h is string => !!h), ...INFO_STRUCTS.map(([, h]) => h)])];
  const infos = [...INFO_STRUCTS.map(([s]) => s), ...parts.flatMap((p) => p.info ?? [])];
  const structs = [...parts.flatMap((p) => p.structs), ...infos];
  // sizeof as the size of a bss array, read back with the target's nm.
  const probe = join(dir, "sizeof_probe.c");
  writeFileSync(probe, `${headers.map((h) => `#include "${h}"`).join("\n")}\n${structs.map((s) => `char fwx_sizeof_${s}[sizeof(${s})];`).join("\n")}\n`);
  run(t.cc, [...t.flags, ...COMMON, "-fno-common", "-c", probe, "-o", join(dir, "sizeof_probe.o")]);
  const sizes: Record<string, number> = {};
  for (const line of run(t.nm, ["-S", join(dir, "sizeof_probe.o")]).split("\n")) {
    const m = /^[0-9a-f]+ ([0-9a-f]+) \w fwx_sizeof_(\w+)$/.exec(line.trim());
    if (m) sizes[m[2]!] = parseInt(m[1]!, 16);
  }
  for (const s of structs) if (sizes[s] === undefined) throw new Error(`sizeof(${s}) not found in ${t.nm} output`);

  const result: PartSize[] = [];
  for (const p of parts) {
    const objs = p.sources.map((src) => {
      const obj = join(dir, `${basename(src, ".c")}.o`);
      run(t.cc, [...t.flags, ...COMMON, "-c", src, "-o", obj]);
      return obj;
    });
    let text = 0, data = 0, bss = 0;
    for (const line of run(t.size, objs).split("\n").slice(1)) {
      const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s/.exec(line);
      if (!m) continue;
      text += Number(m[1]);
      data += Number(m[2]);
      bss += Number(m[3]);
    }
    result.push({ part: p.name, text, data, bss, structs: Object.fromEntries(p.structs.map((s) => [s, sizes[s]!])) });
  }
  return { parts: result, info: Object.fromEntries(infos.map((s) => [s, sizes[s]!])) };
}

const code = (p: PartSize) => p.text + p.data;
const ram = (p: PartSize) => p.data + p.bss + Object.values(p.structs).reduce((a, b) => a + b, 0);
const kib = (n: number) => Math.round((n / 1024) * 100) / 100;

export async function benchFootprint(): Promise<BenchRow[]> {
  const arm = spawnSync(process.execPath, [join(root, "scripts", "ensure-arm-gcc.mjs")], { cwd: root, encoding: "utf8", timeout: 900_000 });
  if (arm.status !== 0) throw new Error(`the Cortex-M4 compiler is not available:\n${arm.stderr}`);
  const parts = runtimeParts();
  const rows: BenchRow[] = [];
  for (const t of TARGETS) {
    const { parts: sizes, info } = measureTarget(t, parts);
    const goal = t.name === "Cortex-M4";
    for (const p of sizes) {
      rows.push({ name: `${t.name} ${p.part}: code (text+data)`, value: code(p), unit: "B" });
      const counted = Object.keys(p.structs);
      rows.push({ name: `${t.name} ${p.part}: RAM (data+bss${counted.map((s) => ` + ${s}`).join("")})`, value: ram(p), unit: "B" });
    }
    const totalCode = sizes.reduce((a, p) => a + code(p), 0);
    const totalRam = sizes.reduce((a, p) => a + ram(p), 0);
    rows.push({ name: `${t.name} total code, ${sizes.map((p) => p.part).join(" + ")}`, value: kib(totalCode), unit: "KiB", ...(goal ? { goal: "≤ 24 KiB", met: totalCode <= GOAL_FLASH_BYTES } : {}) });
    rows.push({ name: `${t.name} total RAM, static + caller-allocated structs`, value: kib(totalRam), unit: "KiB", ...(goal ? { goal: "≤ 4 KiB", met: totalRam <= GOAL_RAM_BYTES } : {}) });
    for (const [s, n] of Object.entries(info)) rows.push({ name: `${t.name} sizeof(${s}), not in the total`, value: n, unit: "B" });
  }
  return rows;
}
