// fwx:timer@1 — one-shot and periodic timers on the device clock. Expiries are
// scheduler tasks, so they are ordered with everything else by (time, module
// order, sequence) and a module's callbacks never overlap.

import { Status, type TimerHost } from "../../abi/host.generated.js";
import type { ModuleHostContext } from "../host-context.js";

export interface TimerServices {
  /** Runs `fire` at device time `atUs` in this module's turn; returns a way to drop it. */
  schedule(atUs: bigint, fire: () => void): { cancel(): void };
  /** Delivers fwx_on_timer(id) to the module. */
  deliver(id: number): void;
}

interface RunningTimer { periodUs: bigint; periodic: boolean; dueUs: bigint; task: { cancel(): void } }

export function createTimerHost(ctx: ModuleHostContext, services: TimerServices): TimerHost {
  const running = new Map<number, RunningTimer>();
  ctx.onStop(() => {
    for (const t of running.values()) t.task.cancel();
    running.clear();
  });

  const arm = (id: number, t: RunningTimer) => {
    t.task = services.schedule(t.dueUs, () => {
      if (running.get(id) !== t) return;
      if (t.periodic) {
        // The next expiry is due one period after this one was due, not after
        // it ran, so a periodic timer does not drift. (The scheduler visits
        // every due instant in order, so an expiry is never found late.)
        t.dueUs += t.periodUs;
        arm(id, t);
      } else running.delete(id);
      services.deliver(id);
    });
  };

  return {
    start(id, periodMs, periodic) {
      const quota = ctx.caps.timers ?? 0;
      if (quota === 0) return ctx.fail(Status.notPermitted, "timer.start: the module has no timer grant");
      if (periodMs === 0) return ctx.fail(Status.invalidArg, "timer.start: period_ms is 0");
      const existing = running.get(id);
      if (!existing && running.size >= quota) {
        return ctx.fail(Status.noSpace, `timer.start: ${running.size} timers already running, the grant allows ${quota}`);
      }
      existing?.task.cancel();
      const periodUs = BigInt(periodMs) * 1000n;
      const t: RunningTimer = { periodUs, periodic, dueUs: ctx.nowUs() + periodUs, task: { cancel() {} } };
      running.set(id, t);
      arm(id, t);
      return Status.ok;
    },
    cancel(id) {
      if ((ctx.caps.timers ?? 0) === 0) return ctx.fail(Status.notPermitted, "timer.cancel: the module has no timer grant");
      const t = running.get(id);
      if (!t) return ctx.fail(Status.notFound, `timer.cancel: no timer ${id} is running`);
      t.task.cancel();
      running.delete(id);
      return Status.ok;
    },
  };
}
