// Writes the modules the opt-in real-wasm3 run of the supervisor uses
// (tests/c/wasm3-real/run.mjs): the examples as `fwx pack --target mcu`
// builds their payload, and hostile modules through the same fuel + mcu
// adaptation. Usage: node scripts/run-ts.mjs tests/c/wasm3-real/modules.ts <out dir>
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import binaryen from "binaryen";
import { instrumentFuel } from "../../../src/fuel/instrument.js";
import { adaptForMcu } from "../../../src/fuel/mcu.js";
import { buildProjectPayload } from "../../../src/pkg/project.js";

const out = process.argv[2]!;
mkdirSync(out, { recursive: true });

// The AssemblyScript examples (examples/c and examples/rust hold ports in other languages, which
// test-wasm3.mjs packs with `fwx pack`; they have no fwx.json at their top).
for (const name of readdirSync("examples").sort().filter((n) => existsSync(join("examples", n, "fwx.json")))) {
  const { payload } = await buildProjectPayload(join("examples", name), "mcu");
  writeFileSync(join(out, `${name}.wasm`), payload);
}

const hostile: Record<string, string> = {
  // Unbounded recursion: ends in wasm3's stack-overflow trap, or kills the host when the native stack is too small.
  "recursion-bomb": `(func $r (param i32) (result i32) (i32.add (call $r (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
    (func (export "fwx_init") (result i32) (drop (call $r (i32.const 0))) (i32.const 0))`,
  // Grows one page at a time until refused, then traps like AssemblyScript's allocator.
  "growth-bomb": `(func (export "fwx_init") (result i32)
      (block $done (loop $more (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1))) (br $more)))
      (unreachable))`,
  // A call-free loop in the start function: must be stopped by the host's start budget.
  "start-loop": `(func $spin (loop $l (br $l))) (start $spin) (func (export "fwx_init") (result i32) (i32.const 0))`,
  // A call-free loop in fwx_init.
  "init-loop": `(func (export "fwx_init") (result i32) (loop $l (br $l)) (i32.const 0))`,
};
for (const [name, body] of Object.entries(hostile)) {
  const m = binaryen.parseText(`(module (memory (export "memory") 1) ${body})`);
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.MutableGlobals);
  const bytes = m.emitBinary();
  m.dispose();
  writeFileSync(join(out, `${name}.wasm`), adaptForMcu(instrumentFuel(bytes, { ramBound: {} }).bytes).bytes); // as deviceForm (src/build/finish.ts) makes it
}
console.log(readdirSync(out).sort().join("\n"));
