import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import LongFilesFirst from "./tests/support/sequencer.js";
import { CHILD_NODE_FLAGS } from "./tests/support/child-node.mjs";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Test files share their worker process (and its loaded modules) instead of each importing the
    // sources, vitest and the libraries afresh: measured on 2 cores, 533 CPU-s -> 424 CPU-s for the
    // whole run. No test relies on a fresh process; a file that changes process-wide state (env,
    // handlers, timers) puts it back, as the hang guard's one watcher per process shows.
    isolate: false,
    // Most files wait on brokers, devices and health windows rather than compute: two files per
    // core keep both cores busy (measured on 2 cores: 441 s with the default one worker, 197 s with four).
    maxWorkers: Math.max(2, availableParallelism() * 2),
    // A hard per-test limit that also stops synchronous wasm loops (see the file).
    setupFiles: ["tests/support/hang-guard.ts"],
    // The CLI the tests' child processes run, bundled once for the whole run (see the file).
    globalSetup: ["tests/support/cli-bundle.global.ts"],
    // Baseline WebAssembly code only (tests/support/child-node.ts says why): the workers' own
    // instrumenting and compiling measured 52.6 -> 45.1 CPU-s on eight of the heaviest files.
    execArgv: [...CHILD_NODE_FLAGS],
    // Files known to run long start first when vitest has no durations cached (a clean clone).
    sequence: { sequencer: LongFilesFirst },
  },
});
