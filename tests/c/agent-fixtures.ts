// The device agent's hostile modules, for the C install-time module check.
// A module that misbehaves only when it runs (a call-free loop, recursion, a
// growth bomb, a hostile pointer) links fine and must be ACCEPTED: fuel, the
// memory cap and the glue's bounds checks deal with it. A module whose
// imports do not match the ABI must be refused import by import.
// Run: node scripts/run-ts.mjs tests/c/agent-fixtures.ts <out-dir>  → writes <name>.wasm, prints the expectations as JSON.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ModuleBuilder, op } from "../fixtures/hostile/builder.js";
import { abortModule, hostile, hostilePointerModule, sensorReporter, tickerModule, I32 } from "../fixtures/hostile/modules.js";

const ok = { verdict: "ok" };
const linksFine = (imports: number) => ({ accepted: true, error: "ok", imports: Array.from({ length: imports }, () => ok), exports: { fwx_init: "ok" } });

function badLinks(): Uint8Array {
  // The same module the agent's linking test refuses.
  const b = new ModuleBuilder();
  b.import("fwx:gpio@1", "write", [I32], [I32]);
  b.import("fwx:gpio@1", "toggle", [I32], [I32]);
  b.import("fwx:gpio@2", "claim", [I32, I32, I32], [I32]);
  b.import("env", "seed", [], ["f64" as never]);
  b.mem(1);
  b.func("fwx_init", { params: [], results: [I32] }, op.i32(0), { export: true });
  return b.build();
}

const fixtures: { name: string; bytes: Uint8Array; expect: unknown }[] = [
  { name: "agent-ticker", bytes: tickerModule(), expect: linksFine(2) },
  { name: "agent-sensor-reporter", bytes: sensorReporter(), expect: linksFine(4) },
  { name: "agent-infinite-loop", bytes: hostile.infiniteLoop(), expect: linksFine(1) },
  { name: "agent-recursion", bytes: hostile.recursion(), expect: linksFine(1) },
  { name: "agent-memory-bomb", bytes: hostile.memoryBomb(), expect: linksFine(1) },
  { name: "agent-unreachable", bytes: hostile.unreachable(), expect: linksFine(1) },
  { name: "agent-abort", bytes: abortModule(), expect: linksFine(2) },
  { name: "agent-hostile-pointer", bytes: hostilePointerModule(0xfffffff0 | 0, 0x20), expect: linksFine(2) },
  {
    name: "agent-bad-links", bytes: badLinks(),
    expect: {
      accepted: false, error: "ok",
      imports: [
        { module: "fwx:gpio@1", name: "write", verdict: "signature-mismatch" },
        { module: "fwx:gpio@1", name: "toggle", verdict: "unknown-function" },
        { module: "fwx:gpio@2", name: "claim", verdict: "major-mismatch" },
        { module: "env", name: "seed", verdict: "not-fwx" },
      ],
    },
  },
];

const out = process.argv[2];
if (!out) {
  console.error("usage: node scripts/run-ts.mjs tests/c/agent-fixtures.ts <out-dir>");
  process.exit(2);
}
for (const f of fixtures) writeFileSync(join(out, `${f.name}.wasm`), f.bytes);
console.log(JSON.stringify(fixtures.map((f) => ({ name: f.name, expect: f.expect }))));
