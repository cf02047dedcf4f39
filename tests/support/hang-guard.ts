// A hard time limit on every test, for the one failure vitest cannot catch:
// synchronous wasm that never returns (a fuel or watchdog regression lets a
// runaway loop run). vitest's testTimeout needs the event loop, which such a
// loop never gives back, so the run would hang. A worker thread watches the
// test that is running; past the limit it names the test on stderr and kills
// this test process, which vitest reports as a failed file, not a hang.
// Loaded for every test file as a vitest setup file (vitest.config.ts).

import { Worker } from "node:worker_threads";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";

/** Per test. Generous: it only has to be finite and above every honest test (testTimeout is 60 s). */
export const HANG_LIMIT_MS = Number(process.env.FWX_TEST_HANG_LIMIT_MS ?? 180_000);

interface Guard {
  /** [0] generation (bumped per test), [1] 1 while a test runs, [2] name length. */
  state: Int32Array;
  name: Uint8Array;
}

// Runs in the worker; plain JS so it needs no TypeScript loader.
const WATCHER = `
const { workerData } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const state = new Int32Array(workerData.state);
const name = new Uint8Array(workerData.name);
let seen = -1, since = 0;
setInterval(() => {
  const generation = Atomics.load(state, 0);
  if (Atomics.load(state, 1) === 0) { seen = -1; return; }
  if (generation !== seen) { seen = generation; since = Date.now(); return; }
  const ran = Date.now() - since;
  if (ran <= workerData.limit) return;
  const test = Buffer.from(name.subarray(0, Atomics.load(state, 2))).toString("utf8");
  writeSync(2, "\\nHANG: " + test + " ran " + ran + " ms without returning to the event loop (limit " + workerData.limit +
    " ms): killed. Runaway code that fuel or the watchdog should have stopped?\\n");
  process.kill(process.pid, "SIGKILL");
}, Math.min(250, Math.max(10, workerData.limit / 10)));
`;

function startGuard(): Guard {
  const state = new Int32Array(new SharedArrayBuffer(12));
  const name = new Uint8Array(new SharedArrayBuffer(1024));
  const worker = new Worker(WATCHER, { eval: true, workerData: { state: state.buffer, name: name.buffer, limit: HANG_LIMIT_MS } });
  worker.unref();
  return { state, name };
}

// One watcher per test process, however many files it runs.
const holder = globalThis as { __fwxHangGuard?: Guard };
const guard = (holder.__fwxHangGuard ??= startGuard());

/** Starts the limit afresh for `what` (a test, or the hooks of a file: a beforeAll can hang as well as a test). */
function watch(what: string): void {
  const text = new TextEncoder().encode(what).subarray(0, guard.name.length);
  guard.name.set(text);
  Atomics.store(guard.state, 2, text.length);
  Atomics.add(guard.state, 0, 1);
  Atomics.store(guard.state, 1, 1);
}

const hooksOf = (file: string) => `the hooks of ${file}`;

// Setup-file hooks run first before the file's own and last after them: the whole file is watched.
// vitest 4 passes fixtures first (they must be destructured), the suite second.
beforeAll(({}, suite) => watch(hooksOf(suite.file?.name ?? suite.name)));

beforeEach((ctx) => {
  const file = ctx.task.file?.name ?? "";
  watch(`test "${ctx.task.name}${file ? ` (${file})` : ""}"`);
});

afterEach((ctx) => {
  watch(hooksOf(ctx.task.file?.name ?? ""));
});

afterAll(() => {
  Atomics.store(guard.state, 1, 0);
});
