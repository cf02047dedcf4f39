// One verdict: the firmware's install check (firmware/fwx_module_check.c,
// built here with ASan and UBSan) and `fwx validate --device-class mcu`
// (validateModule) must accept and refuse the same modules. The corpus is
// every hostile module the tests build, the spec suite's binaries
// (tests/corpus/spec, see its README), the built examples and a seeded fuzz
// corpus of their mutants. Operand types are checked on both sides: by V8 in
// the validator, by fwx_code_check.c in C.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODULE_LIMITS } from "../../src/validate/limits.js";
import { instrumentFuel } from "../../src/fuel/instrument.js";
import { adaptForMcu } from "../../src/fuel/mcu.js";
// @ts-expect-error -- the C tests' plain .mjs fixture builder
import { fixtures as cFixtures } from "../c/wasm-fixtures.mjs";
import { abortModule, hostile, hostilePointerModule, misbehaveOnTimer, sensorReporter, tickerModule } from "../fixtures/hostile/modules.js";
import { SECTION, walkSections } from "../../src/wasm/sections.js";
import { buildExample } from "../examples/helpers.js";
import { seededRandom } from "../../src/sim/prng.js";
import { buildVerdictTool, compare as compareWith, cVerdicts as cVerdictsWith, firmware, tsVerdict, type Comparison, type Entry } from "./c-verdict.js";

const root = join(import.meta.dirname, "..", "..");

let tool: string;
let cleanup = () => {};
/** The examples, built as `fwx build` builds them: real AssemblyScript output. */
const examples: Entry[] = [];
const EXAMPLES = ["cold-chain-alarm", "modbus-energy-meter", "pump-vibration"];

beforeAll(async () => {
  for (const name of EXAMPLES) {
    const built = await buildExample(name);
    if (!built.bytes) throw new Error(`example ${name} does not build: ${built.diagnostics.map((d) => d.message).join("; ")}`);
    examples.push({ name: `example:${name}`, bytes: built.bytes });
  }
  ({ tool, cleanup } = buildVerdictTool());
});

afterAll(() => cleanup());

const cVerdicts = (entries: readonly Entry[]) => cVerdictsWith(tool, entries);
const compare = (entries: readonly Entry[]): Comparison => compareWith(tool, entries);

function hostileCorpus(): Entry[] {
  const list: Entry[] = cFixtures().map((f: { name: string; bytes: Uint8Array }) => ({ name: `c-fixture:${f.name}`, bytes: f.bytes }));
  list.push(
    { name: "hostile:ticker", bytes: tickerModule() },
    { name: "hostile:sensor-reporter", bytes: sensorReporter() },
    { name: "hostile:abort", bytes: abortModule() },
    { name: "hostile:pointer", bytes: hostilePointerModule(0xfffffff0 | 0, 0x20) },
    ...Object.entries(hostile).map(([n, make]) => ({ name: `hostile:${n}`, bytes: make() })),
    ...WASM3_CANNOT_RUN.map((x) => ({ name: `wasm3-cannot-run:${x.name}`, bytes: x.bytes() })),
  );
  return list;
}

/** The module with its (only) memory's limits flags set to `flags` (0x03: shared, with a maximum). */
function withMemoryFlags(bytes: Uint8Array, flags: number): Uint8Array {
  const out = bytes.slice();
  const mem = walkSections(out).find((x) => x.id === SECTION.memory)!;
  out[mem.payloadOffset + 1] = flags; // after the count byte
  return out;
}

// What the issue found the old C check accepting, each in a function reached
// only from fwx_on_timer (wasm3 compiles it at the first timer, in the field).
const V128_CONST = [0xfd, 0x0c, ...new Array(16).fill(0)];
const ATOMIC_ADD = [0x41, 0x00, 0x41, 0x01, 0xfe, 0x1e, 0x02, 0x00, 0x1a]; // i32.atomic.rmw.add, drop
const WASM3_CANNOT_RUN: { name: string; bytes: () => Uint8Array; c: string; ts: string }[] = [
  { name: "simd-in-timer", bytes: () => misbehaveOnTimer([...V128_CONST, 0x1a]), c: "unsupported", ts: "unsupported-simd" },
  { name: "shared-memory-atomics", bytes: () => withMemoryFlags(misbehaveOnTimer(ATOMIC_ADD, { mem: [1, 1] }), 0x03), c: "unsupported", ts: "unsupported-threads" },
  { name: "shared-memory", bytes: () => withMemoryFlags(misbehaveOnTimer([0x01], { mem: [1, 1] }), 0x03), c: "unsupported", ts: "unsupported-threads" },
  { name: "atomics-in-timer", bytes: () => misbehaveOnTimer(ATOMIC_ADD, { mem: [1, 1] }), c: "unsupported", ts: "unsupported-threads" },
  { name: "type-error-in-timer", bytes: () => misbehaveOnTimer([0x41, 0x00, 0x42, 0x00, 0x6a, 0x1a]), c: "invalid", ts: "invalid-module" }, // i32.add of an i64
  { name: "unbalanced-block-in-timer", bytes: () => misbehaveOnTimer([0x02, 0x40, 0x41, 0x00, 0x0b]), c: "invalid", ts: "invalid-module" }, // a value left at a block end
  { name: "2gib-initial-memory", bytes: () => misbehaveOnTimer([0x01], { mem: [32768] }), c: "over-budget", ts: "memory-over-budget" },
  // The C check stops at the instruction's feature; the TypeScript decoder
  // reads on and fails first on the missing DataCount section / table.
  { name: "memory-init-in-timer", bytes: () => misbehaveOnTimer([0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x08, 0x00, 0x00]), c: "unsupported", ts: "malformed" },
  { name: "table-get-in-timer", bytes: () => misbehaveOnTimer([0x41, 0, 0x25, 0x00, 0x1a]), c: "unsupported", ts: "malformed" },
];

function specCorpus(): Entry[] {
  const d = join(root, "tests", "corpus", "spec");
  return readdirSync(d).filter((f) => f.endsWith(".wasm")).sort().map((f) => ({ name: `spec:${f}`, bytes: new Uint8Array(readFileSync(join(d, f))) }));
}


// Bytes a mutation splices in: prefixes of features wasm3 lacks, block
// openers, value types, LEB continuation bytes, large counts.
const INTERESTING = [0xfd, 0xfe, 0xfc, 0xfb, 0x7b, 0x70, 0x6f, 0x02, 0x04, 0x05, 0x0b, 0x40, 0x03, 0x80, 0xff, 0x00, 0x01, 0x7f, 0x1c, 0xd0, 0x11];

function mutate(seed: Uint8Array, rand: () => number): Uint8Array {
  const b = [...seed];
  const edits = 1 + Math.floor(rand() * 3);
  for (let k = 0; k < edits; k++) {
    const at = 8 + Math.floor(rand() * Math.max(1, b.length - 8));
    const pick = rand();
    const byte = rand() < 0.5 ? INTERESTING[Math.floor(rand() * INTERESTING.length)]! : Math.floor(rand() * 256);
    if (pick < 0.4) b[at] = byte;
    else if (pick < 0.6) b[at] = (b[at] ?? 0) ^ (1 << Math.floor(rand() * 8));
    else if (pick < 0.75) b.splice(at, 0, byte);
    else if (pick < 0.9) b.splice(at, 1);
    else b.splice(at, 0, ...b.slice(at, at + 1 + Math.floor(rand() * 8)));
  }
  return Uint8Array.from(b);
}

const FUZZ_SEED = 0x5eed_f3a5;
const FUZZ_COUNT = 4000;

function fuzzCorpus(seeds: readonly Entry[]): Entry[] {
  const rand = seededRandom(FUZZ_SEED); // the same fuzz corpus on every run
  const out: Entry[] = [];
  for (let i = 0; i < FUZZ_COUNT; i++) {
    const s = seeds[i % seeds.length]!;
    out.push({ name: `fuzz:${i}:${s.name}`, bytes: mutate(s.bytes, rand) });
  }
  return out;
}

describe("one verdict: the C install check and fwx validate --device-class mcu", () => {
  it("the C limits header is the mcu column of src/validate/limits.ts", () => {
    const header = readFileSync(join(firmware, "fwx_check_limits.h"), "utf8");
    const defined = new Map([...header.matchAll(/#define FWX_LIMIT_([A-Z_]+) (\d+)u/g)].map((m) => [m[1]!, Number(m[2])]));
    for (const [key, value] of Object.entries(MODULE_LIMITS.mcu)) {
      const cName = key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
      expect({ limit: key, c: defined.get(cName) }).toEqual({ limit: key, c: value });
    }
    expect(defined.size).toBe(Object.keys(MODULE_LIMITS.mcu).length);
  });

  it.each(WASM3_CANNOT_RUN)("both refuse $name, each naming the reason", ({ bytes, c, ts }) => {
    const m = bytes();
    expect(cVerdicts([{ name: "m", bytes: m }])[0]).toMatchObject({ accepted: false, error: c });
    const v = tsVerdict(m);
    expect(v.ok).toBe(false);
    expect(v.errors.map((e) => e.code)).toContain(ts);
  });

  it("the same module without the offending instruction is accepted by both", () => {
    const m = misbehaveOnTimer([0x01]);
    expect(cVerdicts([{ name: "m", bytes: m }])[0]).toMatchObject({ accepted: true, error: "ok" });
    expect(tsVerdict(m).errors).toEqual([]);
  });

  it("agree on every example (all accepted)", () => {
    const r = compare(examples);
    expect(r.disagreements).toEqual([]);
    expect(r.accepted).toBe(EXAMPLES.length);
  });

  it("the device form (instrumented, adapted for wasm3) of every accepted module passes the C check", () => {
    const accepted = [...examples, ...hostileCorpus()].filter((e) => tsVerdict(e.bytes).ok);
    expect(accepted.length).toBeGreaterThan(EXAMPLES.length + 5);
    const device = accepted.map((e) => ({ name: e.name, bytes: adaptForMcu(instrumentFuel(e.bytes).bytes).bytes }));
    const c = cVerdicts(device);
    expect(device.map((d, i) => `${d.name}: ${c[i]!.accepted ? "accepted" : `${c[i]!.error}@${c[i]!.offset}`}`)).toEqual(device.map((d) => `${d.name}: accepted`));
    // ...and those are exactly what the validator refuses as a developer's module.
    for (const d of device) expect(tsVerdict(d.bytes).errors.map((x) => x.code)).toContain("reserved-export");
  });

  it("agree on every hostile module the tests build", () => {
    const r = compare(hostileCorpus());
    expect(r.disagreements).toEqual([]);
    expect(r.accepted).toBeGreaterThan(5);
  });

  it("agree on every binary of the spec suite", () => {
    const r = compare(specCorpus());
    expect(r.disagreements).toEqual([]);
    expect(r.accepted + r.refused).toBeGreaterThan(3000);
    // The corpus exercises the module verdict both ways, not only refusals.
    expect(r.moduleRefused).toBeGreaterThan(500);
    expect(r.refused - r.moduleRefused).toBeGreaterThan(500);
    console.log(`spec corpus: ${r.accepted} accepted, ${r.refused} refused by both (${r.moduleRefused} for the module itself)`);
  });

  it(`agree on ${FUZZ_COUNT} seeded mutants of the examples, the hostile modules and the fixtures`, () => {
    const seeds = [...examples, ...hostileCorpus().filter((e) => tsVerdict(e.bytes).ok)];
    expect(seeds.length).toBeGreaterThan(EXAMPLES.length + 5);
    const r = compare(fuzzCorpus(seeds));
    expect(r.disagreements).toEqual([]);
    expect(r.accepted).toBeGreaterThan(50);
    console.log(`fuzz corpus: ${r.accepted} accepted, ${r.refused} refused by both (${r.moduleRefused} for the module itself)`);
  });
});
