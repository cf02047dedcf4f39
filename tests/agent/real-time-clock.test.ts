// RealTimeClock (scheduler.ts): the wall clock a run with real hardware uses.
// A wait lasts until the instant asked for, or ends at once when wake() says
// work was scheduled (a hardware event); an instant already past needs no wait.

import { describe, expect, it } from "vitest";
import { RealTimeClock } from "../../src/agent/scheduler.js";

describe("RealTimeClock", () => {
  it("follows the wall clock and waits until the instant asked for", async () => {
    const clock = new RealTimeClock();
    expect(clock.realTime).toBe(true);
    const t0 = performance.now();
    await clock.advanceTo(clock.nowUs() + 60_000n);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
    expect(clock.nowUs()).toBeGreaterThanOrEqual(60_000n);
  });

  it("ends a wait early on wake(), short of the instant, and needs no wait for a past instant", async () => {
    const clock = new RealTimeClock();
    const t0 = performance.now();
    const waiting = clock.advanceTo(clock.nowUs() + 10_000_000n);
    expect(waiting).toBeInstanceOf(Promise);
    setTimeout(() => clock.wake(), 20);
    await waiting;
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(clock.nowUs()).toBeLessThan(10_000_000n);
    expect(clock.advanceTo(clock.nowUs() - 1n)).toBeUndefined();
    clock.wake(); // nothing waiting: no effect
  });
});
