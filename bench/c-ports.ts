// The C ports of the examples (bench/c/): built with Debian's clang for
// wasm32 (-Oz, no libc) and binaryen's wasm-opt -Oz (AssemblyScript's own
// dependency), and compared with `fwx build`'s AssemblyScript output of the
// same example. The ports replay the examples' recordings exactly
// (tests/bench/c-ports.test.ts), so the ratio compares like with like.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { clangEnv, ensureClangWasm } from "../scripts/ensure-wasm-compilers.mjs";
import { buildModule } from "../src/build/build.js";
import { withAbiSection } from "../src/build/finish.js";
import type { BenchRow } from "./row.js";

/** Each example with its port; the goal is the (14): AssemblyScript within 1.2x of C. */
export const C_PORTS = [
  { example: "cold-chain-alarm", source: "cold_chain_alarm.c" },
  { example: "pump-vibration", source: "pump_vibration.c" },
] as const;
export const AS_OVER_C_GOAL = 1.2;

// This checkout's bench/ (run-ts defines import.meta.dirname as the entry's
// directory, so a worktree measures its own sources, not a linked package's).
const BENCH_DIR = import.meta.dirname;
const REPO_DIR = resolve(BENCH_DIR, "..");

const CFLAGS = [
  "--target=wasm32", "-std=c99", "-Oz", "-nostdlib",
  "-Wall", "-Wextra", "-Werror", "-pedantic", "-Wconversion", "-Wshadow", "-Wstrict-prototypes", "-Wmissing-prototypes",
  // A 1 KiB stack first: the default 64 KiB stack would need a second page.
  "-Wl,--no-entry", "-Wl,-z,stack-size=1024", "-Wl,--stack-first", "-Wl,--strip-all",
];
// What AssemblyScript enables by default, so wasm-opt may use the same instructions.
const FEATURES = ["--enable-bulk-memory", "--enable-sign-ext", "--enable-mutable-globals", "--enable-nontrapping-float-to-int"];

function run(cmd: string, args: string[]): void {
  // clang without a wasm-opt of its own (clangEnv says why): the one wasm-opt pass is the explicit one below.
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000, env: clangEnv() });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${r.stderr || r.stdout}`);
}

/** binaryen's wasm-opt from the copy AssemblyScript depends on. */
export function wasmOptPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("binaryen/package.json")), "bin", "wasm-opt");
}

/** Builds bench/c/<source> into wasm: clang -Oz, then wasm-opt -Oz. */
export function buildCPort(source: string): Uint8Array {
  const clang = ensureClangWasm();
  const dir = mkdtempSync(join(tmpdir(), "fwx-c-port-"));
  try {
    const linked = join(dir, "linked.wasm");
    const out = join(dir, "out.wasm");
    run(clang, [...CFLAGS, "-I", join(REPO_DIR, "guest", "c"), join(BENCH_DIR, "c", source), "-o", linked]);
    // binaryen's wasm-opt is a 6 MB WebAssembly module run by Node: its baseline code only (Liftoff) writes the
    // same bytes for a quarter of the CPU (1.9 -> 0.5 CPU-s on pump-vibration's module), because one -Oz run
    // ends before V8's optimising tier pays for itself (tests/support/child-node.mjs measured the same).
    run(process.execPath, ["--liftoff-only", wasmOptPath(), "-Oz", ...FEATURES, linked, "-o", out]);
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `fwx build`'s bytes for an example, as shipped. */
export async function buildExampleBytes(example: string): Promise<Uint8Array> {
  const r = await buildModule(join(REPO_DIR, "examples", example), { write: false });
  if (!r.ok || !r.bytes) throw new Error(`fwx build examples/${example} failed at ${r.stage}: ${r.diagnostics.map((d) => d.message).join("; ") || r.compileFailure}`);
  return r.bytes;
}

export async function benchCPorts(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const { example, source } of C_PORTS) {
    const as = (await buildExampleBytes(example)).length;
    // As shipped: `fwx build` gives a C module the same fwx.abi section (read from its imports) as the AssemblyScript one.
    const c = withAbiSection(buildCPort(source)).length;
    const ratio = as / c;
    rows.push(
      { name: `${example}: AssemblyScript (fwx build)`, value: as, unit: "B" },
      { name: `${example}: C port (clang -Oz + wasm-opt -Oz + fwx.abi)`, value: c, unit: "B" },
      { name: `${example}: AS / C`, value: ratio, unit: "x", goal: `≤ ${AS_OVER_C_GOAL}x`, met: ratio <= AS_OVER_C_GOAL },
    );
  }
  return rows;
}
