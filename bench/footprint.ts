// What the C device runtime costs without wasm3: code and RAM per part
// (glue, install-time module check, package verifier, slot store,
// supervisor, and the OTA state machine / device core once they are in
// firmware/runtime/), on x86-64 (gcc -Os) and on Cortex-M4 (Debian's
// arm-none-eabi-gcc -Os -mcpu=cortex-m4 -mthumb, installed through
// scripts/ensure-arm-gcc.mjs). Run alone: npm run bench -- footprint
//
// Per part, code is text + data of each object file (text includes read-only
// data; data is flash too, copied to RAM at start-up), summed before any
// link-time garbage collection. The goal is measured on what ships: a linked
// Cortex-M4 image (bench/footprint/image_main.c calls the device's entry
// points; -ffunction-sections -fdata-sections --gc-sections, and a second
// row with -flto) whose ports, HAL and wasm3 are stubs outside the count;
// the linker map says what each runtime object kept. RAM is the parts' static data + bss plus the structs the
// caller allocates for them (fwx_sup_t, fwx_slots_t, ...), whose sizeof is
// read from a probe object with the target's nm. The wasm3 header is the
// project's test double (tests/c/fake_wasm3/wasm3.h): the glue's raw
// functions only use wasm3's public types, so the figures hold for a real
// wasm3 build, whose own code and heap come on top (docs/firmware.md).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { BenchRow } from "./row.js";
import { DEVICE_SLOTS_DEFINES } from "../scripts/build-device.mjs";

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
  /** A counted struct that embeds other parts' structs: those are subtracted from it, since their parts count them. */
  embeds?: Record<string, string[]>;
  /** Header that declares them. */
  header?: string;
}

const inDir = (dir: string, re: RegExp) => (existsSync(dir) ? readdirSync(dir).filter((f) => re.test(f)).sort().map((f) => join(dir, f)) : []);

/** Each source file under firmware/ belongs to exactly one part, so the
 * totals count it once; a file that matches no part, or two, throws (a new
 * file must be placed, never silently left out). */
export function runtimeParts(): Part[] {
  const glueFiles = /^fwx_(abi_wasm3|abi_tables|fuel_wasm3|support)\.c$/;
  const checkFiles = /^fwx_(module_check|module_check_text|code_check|abi_section)\.c$/;
  const rules: { name: string; dir: string; re: RegExp; structs: string[]; info?: string[]; embeds?: Record<string, string[]>; header?: string }[] = [
    { name: "glue", dir: firmware, re: glueFiles, structs: [] },
    { name: "module check", dir: firmware, re: checkFiles, structs: [], header: "fwx_module_check.h" },
    // One work area for every verification (package, revocation list, module check: fwx_device_verify.h), counted once here.
    { name: "verifier", dir: runtime, re: /^fwx_(pkg_[a-z_]+|revocations|cbor)\.c$/, structs: ["fwx_verify_work"], header: "fwx_device_verify.h" },
    { name: "slot store", dir: runtime, re: /^fwx_(slots[a-z_]*|crc32)\.c$/, structs: ["fwx_slots_t"], header: "fwx_slots.h" },
    { name: "supervisor", dir: runtime, re: /^fwx_sup(ervisor|_[a-z_]+)\.c$/, structs: ["fwx_sup_t"], header: "fwx_supervisor.h" },
    { name: "OTA", dir: runtime, re: /^fwx_(ota|json|delta|text)\.c$/, structs: ["fwx_ota"], header: "fwx_ota.h" },
    // The gate for signed commands, the device's signed answers and its kept revocation list (docs/ota-protocol.md, "Trust model").
    { name: "signed operations", dir: runtime, re: /^fwx_(command|statement|cbor_write|revocations_keep)\.c$/, structs: ["fwx_cmd_gate", "fwx_rl_keeper"], header: "fwx_command.h" },
    // fwx_device embeds the OTA machine and the supervisor; the rest of it (running modules, kv, log ring) is the core's own.
    { name: "device core", dir: join(runtime, "device"), re: /\.c$/, structs: ["fwx_device", "fwx_device_trust"], embeds: { fwx_device: ["fwx_ota", "fwx_sup_t"] }, header: "fwx_device_verify.h" },
  ];
  for (const dir of [firmware, runtime, join(runtime, "device")]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".c"))) {
      const owners = rules.filter((r) => r.dir === dir && r.re.test(f)).map((r) => r.name);
      const rel = join(dir, f).slice(root.length + 1);
      if (owners.length === 0) throw new Error(`${rel}: not assigned to a footprint part (bench/footprint.ts)`);
      if (owners.length > 1) throw new Error(`${rel}: assigned to ${owners.join(" and ")} (bench/footprint.ts)`);
    }
  }
  return rules
    .map(({ dir, re, ...p }) => ({ ...p, sources: inDir(dir, re) }))
    .filter((p) => p.sources.length > 0);
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

// The slot-store layout the device build uses: the device core refuses to compile with another.
const COMMON = ["-std=c99", "-ffunction-sections", "-fdata-sections", ...DEVICE_SLOTS_DEFINES, "-I", firmware, "-I", runtime, "-I", join(runtime, "device"), "-I", join(root, "tests", "c", "fake_wasm3")];

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
    const own = (s: string) => sizes[s]! - (p.embeds?.[s] ?? []).reduce((a, e) => a + sizes[e]!, 0);
    result.push({ part: p.name, text, data, bss, structs: Object.fromEntries(p.structs.map((s) => [s, own(s)])) });
  }
  return { parts: result, info: Object.fromEntries(infos.map((s) => [s, sizes[s]!])) };
}

export interface ImageSize {
  /** Flash of the runtime in the linked image: .text, .rodata, .data and ARM unwind tables of its objects. */
  flash: number;
  /** Static RAM of the runtime in the image: .data and .bss of its objects (the caller's structs come on top). */
  ram: number;
  /** Flash per part (without -flto; with it, the runtime is one object and this holds "runtime"). */
  perPart: Record<string, number>;
  /** Of `flash`: libgcc (soft double, 64-bit division) and newlib-nano (memcpy, strlen, ...), pulled in by the runtime. */
  libraries: number;
}

/** The prefixes of what the firmware provides: ports, the peripheral HAL, wasm3, and the image's own port_* stubs. */
const PORT_SYMBOL = /^(m3_|m3Err_|fwx_hal_|fwx_sha256_|fwx_ed25519_|fwx_port_|port_)/;
const LIBRARY_FILE = /\/lib(gcc|c_nano|c|nosys|m)\.a\(/;

/**
 * Links the runtime into a Cortex-M4 image (bench/footprint/image_main.c, which
 * calls the device's entry points) with -ffunction-sections -fdata-sections
 * --gc-sections, optionally -flto, and reads from the linker map what each
 * runtime object keeps. The ports, the HAL, wasm3 and main are stubs left out
 * of the count; the C libraries the runtime pulls in are counted.
 */
export function linkImage(t: Target, parts: Part[], lto: boolean, defines: string[] = []): ImageSize {
  const dir = join(out, `${t.name}-image${lto ? "-lto" : ""}${defines.join("").replace(/\W+/g, "-")}`);
  mkdirSync(dir, { recursive: true });
  const flags = [...t.flags, ...COMMON, ...defines];
  const partOf = new Map<string, string>();
  const objects: string[] = [];
  const plain: string[] = [];
  for (const p of parts) for (const src of p.sources) {
    const obj = join(dir, `${basename(src, ".c")}.o`);
    run(t.cc, [...flags, ...(lto ? ["-flto"] : []), "-c", src, "-o", obj]);
    partOf.set(obj, p.name);
    objects.push(obj);
    if (lto) {
      const o = join(dir, `${basename(src, ".c")}.plain.o`);
      run(t.cc, [...flags, "-c", src, "-o", o]);
      plain.push(o);
    }
  }
  const main = join(dir, "image_main.o");
  run(t.cc, [...flags, "-c", join(root, "bench", "footprint", "image_main.c"), "-o", main]);
  // Stubs for every port symbol the runtime and main leave undefined; anything else must come from libc/libgcc or the link fails.
  const syms = (args: string[]) => new Set(run(t.nm, args).split("\n").map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 2 && !f[0]!.endsWith(":")).map((f) => f[f.length - 1]!));
  const scanned = [...(lto ? plain : objects), main];
  const defined = syms(["--defined-only", ...scanned]);
  const ports = [...syms(["-u", ...scanned])].filter((s) => !defined.has(s) && PORT_SYMBOL.test(s)).sort();
  const stubs = join(dir, "ports_stub.c");
  writeFileSync(stubs, `/* Generated by bench/footprint.ts: the firmware's ports, never called. */\n${ports.map((s) => `void ${s}(void);\nvoid ${s}(void) {}\n`).join("")}`);
  const stubObj = join(dir, "ports_stub.o");
  run(t.cc, [...t.flags, "-c", stubs, "-o", stubObj]);
  const map = join(dir, "image.map");
  run(t.cc, [...t.flags, ...(lto ? ["-flto"] : []), "-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections", "-Wl,-e,main", `-Wl,-Map=${map}`,
    ...objects, main, stubObj, "-o", join(dir, "image.elf")]);
  return readMap(readFileSync(map, "utf8"), (file) => {
    if (file === main || file === stubObj) return undefined;
    if (LIBRARY_FILE.test(file)) return "libraries";
    return partOf.get(file) ?? (lto && /ltrans/.test(file) ? "runtime" : undefined);
  });
}

const FLASH_SECTIONS = new Set([".text", ".rodata", ".data", ".ARM.exidx", ".ARM.extab"]);
const RAM_SECTIONS = new Set([".data", ".bss"]);

/** Sums the input sections of a GNU ld map per owner (undefined: not counted), in the output sections that take flash or RAM. */
export function readMap(map: string, owner: (file: string) => string | undefined): ImageSize {
  const lines = map.slice(map.indexOf("Linker script and memory map")).split("\n");
  const result: ImageSize = { flash: 0, ram: 0, perPart: {}, libraries: 0 };
  let output = "";
  let pending = false;
  for (const line of lines) {
    const top = /^(\.[\w.]+)(\s+0x[0-9a-f]+\s+0x[0-9a-f]+)?\s*$/.exec(line);
    if (top) { output = top[1]!; pending = false; continue; }
    // An input section: " .text.name 0xADDR 0xSIZE file", or its name alone with the rest on the next line.
    let m = /^ (\.\S+|COMMON)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$/.exec(line);
    if (!m && pending) m = /^()\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$/.exec(line);
    pending = !m && /^ (\.\S+|COMMON)$/.test(line);
    if (!m) continue;
    const size = parseInt(m[3]!, 16);
    const who = owner(m[4]!.trim());
    if (!who || size === 0) continue;
    if (FLASH_SECTIONS.has(output)) {
      result.flash += size;
      result.perPart[who] = (result.perPart[who] ?? 0) + size;
      if (who === "libraries") result.libraries += size;
    }
    if (RAM_SECTIONS.has(output)) result.ram += size;
  }
  return result;
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
      const embedded = (s: string) => { const e = parts.find((q) => q.name === p.part)?.embeds?.[s]; return e ? ` without its ${e.join(", ")}` : ""; };
      rows.push({ name: `${t.name} ${p.part}: RAM (data+bss${counted.map((s) => ` + ${s}${embedded(s)}`).join("")})`, value: ram(p), unit: "B" });
    }
    const totalCode = sizes.reduce((a, p) => a + code(p), 0);
    const totalRam = sizes.reduce((a, p) => a + ram(p), 0);
    rows.push({ name: `${t.name} sum of all objects, before link-time GC`, value: kib(totalCode), unit: "KiB" });
    if (goal) {
      const image = linkImage(t, parts, false);
      const lto = linkImage(t, parts, true);
      const terse = linkImage(t, parts, false, ["-DFWX_PKG_DIAGNOSTICS=0"]);
      for (const p of parts) rows.push({ name: `${t.name} linked image, ${p.name}: code kept by --gc-sections`, value: image.perPart[p.name] ?? 0, unit: "B" });
      rows.push({ name: `${t.name} linked image, libgcc + newlib-nano the runtime pulls in`, value: image.libraries, unit: "B" });
      rows.push({ name: `${t.name} linked image: runtime code (-Os, --gc-sections; ports, HAL, wasm3 stubbed out)`, value: kib(image.flash), unit: "KiB", goal: "≤ 24 KiB", met: image.flash <= GOAL_FLASH_BYTES });
      rows.push({ name: `${t.name} linked image with -flto: runtime code`, value: kib(lto.flash), unit: "KiB" });
      rows.push({ name: `${t.name} linked image, verifier without its texts (-DFWX_PKG_DIAGNOSTICS=0): runtime code`, value: kib(terse.flash), unit: "KiB" });
      rows.push({ name: `${t.name} linked image: runtime static RAM (.data + .bss)`, value: image.ram, unit: "B" });
    }
    rows.push({ name: `${t.name} total RAM, static + caller-allocated structs`, value: kib(totalRam), unit: "KiB", ...(goal ? { goal: "≤ 4 KiB", met: totalRam <= GOAL_RAM_BYTES } : {}) });
    for (const [s, n] of Object.entries(info)) rows.push({ name: `${t.name} sizeof(${s}), not in the total`, value: n, unit: "B" });
  }
  return rows;
}
