// Writes the modules of the opt-in real-wasm3 measurements (bench_wasm3.c):
// the bench kernels of bench/fuel.ts unmetered, fuel-metered (instrumentFuel +
// adaptForMcu) and as `fwx pack --target mcu` makes them (with the RAM bounds
// of a sub-page budget), and a host-call loop module.
// Usage: node scripts/run-ts.mjs tests/c/wasm3-real/bench-modules.ts <out dir>
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import binaryen from "binaryen";
import { arithSource } from "../../../bench/kernels/arith.js";
import { compileKernel } from "../../../bench/kernels/compile.js";
import { crc32Source } from "../../../bench/kernels/crc32.js";
import { spectrumSource } from "../../../bench/kernels/spectrum.js";
import { instrumentFuel } from "../../../src/fuel/instrument.js";
import { adaptForMcu } from "../../../src/fuel/mcu.js";

const out = process.argv[2]!;
mkdirSync(out, { recursive: true });
// Fuel metering alone (what the fuel goal is about), and the whole device form as deviceForm
// (src/build/finish.ts) makes it: fuel plus the inline RAM bounds a sub-page budget needs.
const metered = (bytes: Uint8Array) => adaptForMcu(instrumentFuel(bytes).bytes).bytes;
const bounded = (bytes: Uint8Array) => adaptForMcu(instrumentFuel(bytes, { ramBound: {} }).bytes).bytes;

for (const [name, source] of [["crc32", crc32Source], ["arith", arithSource], ["spectrum", spectrumSource]] as const) {
  const plain = await compileKernel(name, source, { optimizeLevel: 3 });
  writeFileSync(join(out, `${name}.plain.wasm`), plain);
  writeFileSync(join(out, `${name}.metered.wasm`), metered(plain));
  writeFileSync(join(out, `${name}.bounded.wasm`), bounded(plain));
}

// run(n) calls an i64-returning import n times: once imported as fwx:core@1
// now_us (through the generated glue), once as bench.nop (a bare raw function).
for (const [file, mod, field] of [["hostcall-glue", "fwx:core@1", "now_us"], ["hostcall-bare", "bench", "nop"]]) {
  const m = binaryen.parseText(`(module
    (import "${mod}" "${field}" (func $f (result i64)))
    (memory (export "memory") 1)
    (func (export "run") (param $n i32) (result i32) (local $acc i64)
      (block $done (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (call $f)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
      (i32.wrap_i64 (local.get $acc))))`);
  m.setFeatures(binaryen.Features.MVP);
  writeFileSync(join(out, `${file}.plain.wasm`), m.emitBinary());
  m.dispose();
}
console.log("written to", out);
