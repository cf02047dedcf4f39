// The scheduler's memory is bounded by live work: cancelled entries (a timer
// restarted in a loop cancels its previous expiry each time) do not pile up
// until they would have come due.

import { describe, expect, it } from "vitest";
import { Scheduler } from "../../src/agent/scheduler.js";
import { createTimerHost } from "../../src/agent/host/timer.js";
import { Status } from "../../src/abi/host.generated.js";
import type { ModuleHostContext } from "../../src/agent/host-context.js";

describe("scheduler size", () => {
  it("restarting one timer 100,000 times keeps the queue small", () => {
    const scheduler = new Scheduler();
    const fired: number[] = [];
    const now = 0n;
    const ctx = {
      caps: { timers: 2 }, nowUs: () => now, onStop: () => {},
      fail: (status: number) => status,
    } as unknown as ModuleHostContext;
    const timer = createTimerHost(ctx, {
      schedule: (at, fire) => { const t = scheduler.schedule(at, 0, fire); return { cancel: () => scheduler.cancel(t) }; },
      deliver: (id) => fired.push(id),
    });
    expect(timer.start(2, 5000, true)).toBe(Status.ok);
    let peak = 0;
    // The largest period: each superseded expiry would otherwise wait 49 days.
    for (let i = 0; i < 100_000; i++) {
      expect(timer.start(1, 0xffffffff, false)).toBe(Status.ok);
      peak = Math.max(peak, scheduler.size);
    }
    expect(peak).toBeLessThanOrEqual(128);
    // What is left still runs, once each, in order.
    const ran: bigint[] = [];
    for (let t; (t = scheduler.popDue(1n << 62n)); ) { ran.push(t.atUs); t.run(); if (ran.length > 3) break; }
    expect(ran[0]).toBe(5_000_000n);
    expect(fired[0]).toBe(2);
  });

  it("compaction keeps (time, order, sequence) order and never runs a cancelled task", () => {
    const s = new Scheduler();
    const order: number[] = [];
    const tasks = Array.from({ length: 1000 }, (_, i) => s.schedule(BigInt((i * 7919) % 1000), i % 3, () => order.push(i)));
    for (const [i, t] of tasks.entries()) if (i % 4 !== 0) s.cancel(t);
    expect(s.size).toBeLessThan(500);
    for (let t; (t = s.popDue(10_000n)); ) t.run();
    const expected = tasks.map((_, i) => i).filter((i) => i % 4 === 0)
      .sort((a, b) => ((a * 7919) % 1000) - ((b * 7919) % 1000) || (a % 3) - (b % 3) || a - b);
    expect(order).toEqual(expected);
    expect(s.size).toBe(0);
  });

  it("cancelling a task that already ran, or twice, changes nothing", () => {
    const s = new Scheduler();
    const ran: string[] = [];
    const a = s.schedule(1n, 0, () => ran.push("a"));
    const b = s.schedule(2n, 0, () => ran.push("b"));
    s.popDue(1n)!.run();
    s.cancel(a);
    s.cancel(b);
    s.cancel(b);
    for (let i = 0; i < 200; i++) s.cancel(s.schedule(3n, 0, () => ran.push("x")));
    const c = s.schedule(4n, 0, () => ran.push("c"));
    for (let t; (t = s.popDue(10n)); ) t.run();
    expect(ran).toEqual(["a", "c"]);
    expect(c.cancelled).toBe(false);
    expect(s.size).toBe(0);
  });
});
