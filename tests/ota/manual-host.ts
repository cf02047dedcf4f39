// A ModuleHost on a manual clock, for driving the install state machine
// (src/ota/install.ts) step by step: every module it starts is healthy (3
// callbacks, no fault), timers fire only when the test advances the clock, and
// it remembers what it started so a test can ask what runs now.
import { createHash } from "node:crypto";
import type { HostedEvents, HostedModule, HostedSpec, ModuleHost } from "../../src/ota/module-host.js";

export class ManualHost implements ModuleHost {
  now = 0;
  private timers: { at: number; fn: () => void; done: boolean }[] = [];
  private started: { payload: string; version: string; stopped: boolean }[] = [];
  start(spec: HostedSpec, _events: HostedEvents): HostedModule {
    const run = { payload: createHash("sha256").update(spec.payload).digest("hex"), version: spec.manifest.version, stopped: false };
    this.started.push(run);
    return { state: "running", callbacks: 3, faults: 0, restarts: 0, lastFault: null, healthVeto: () => null, promote() {}, stop: () => void (run.stopped = true) };
  }
  nowMs() { return this.now; }
  after(ms: number, fn: () => void) {
    const t = { at: this.now + ms, fn, done: false };
    this.timers.push(t);
    return { cancel: () => void (t.done = true) };
  }
  advance(ms: number) {
    this.now += ms;
    for (const t of [...this.timers]) if (!t.done && t.at <= this.now) { t.done = true; t.fn(); }
  }
  close() {}
  /** The SHA-256 (hex) of each payload running now, in the order started. */
  running(): string[] { return this.started.filter((r) => !r.stopped).map((r) => r.payload); }
  /** The manifest version of each module running now, in the order started. */
  runningVersions(): string[] { return this.started.filter((r) => !r.stopped).map((r) => r.version); }
}
