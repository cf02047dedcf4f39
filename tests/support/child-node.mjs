// Node flags for the processes the tests start (the CLI, its agents, helper
// scripts). Most live a second or two, and in that time V8's optimising tier
// for WebAssembly costs more than it returns: binaryen (fuel instrumentation,
// the AssemblyScript compiler's optimiser) is one 6 MB wasm module whose hot
// functions TurboFan recompiles in background threads that the process then
// exits without using. Measured on 2 cores: `fwx run` of a built module 1.10
// -> 0.56 CPU-s, an uncached `fwx build` 5.0 -> 2.5 CPU-s, the whole `npm
// test` 526 -> 472 CPU-s. Baseline (Liftoff) code runs the same WebAssembly
// semantics, so no result changes. Users' processes keep Node's defaults:
// this is a choice for the test run, not for the product.
//
// A command-line flag, not v8.setFlagsFromString inside the CLI: a flag set
// at run time changes V8's flag hash, and an uncached build then took 1 CPU-s
// more, not less.
//
// Plain JavaScript (types in child-node.d.mts), so that the C lane's runners
// (tests/c/*.mjs), which Node runs without a TypeScript step, use it too.
export const CHILD_NODE_FLAGS = Object.freeze(["--liftoff-only"]);
