// fwx:pwm@1 on the board's PWM channels (src/hal/pwm.ts). Channels are claimed exclusively (claim
// key `pwm:<channel>`); duty changes go to the event log with the channel's
// name. Check order: see sensor.ts.

import { Status, type PwmHost } from "../../abi/host.generated.js";
import { allows } from "../../caps/capabilities.js";
import { abiStatus } from "../../hal/errors.js";
import type { Peripherals } from "../../hal/peripherals.js";
import type { PwmChannel } from "../../hal/pwm.js";
import type { ModuleHostContext } from "../host-context.js";
import { exclusiveResources } from "./exclusive.js";

const KIND = "pwm.channel";

export function createPwmHost(board: Peripherals, ctx: ModuleHostContext): PwmHost {
  const channels = exclusiveResources<PwmChannel>(ctx, "pwm", (ch) => ch.channel, (ch) => {
    ch.stop();
    ctx.traffic("pwm", () => ({ kind: "pwm", channel: ch.channel, name: ch.name, duty: 0, closed: true }));
  });

  // Out of setDuty(), a hot path: see levelWritten in gpio.ts.
  const dutySet = (ch: PwmChannel, duty: number) => ctx.traffic("pwm", () => ({ kind: "pwm", channel: ch.channel, name: ch.name, duty }));

  return {
    open(channel, frequencyHz, out) {
      if (frequencyHz === 0) return ctx.fail(Status.invalidArg, "pwm.open: frequency_hz is 0");
      if (!allows.pwm(ctx.caps, channel)) return ctx.fail(Status.notPermitted, `pwm.open: module ${ctx.moduleId} was not granted PWM channel ${channel}`);
      const ch = board.pwm(channel);
      if (!ch) return ctx.fail(Status.notFound, `pwm.open: board ${board.name} has no PWM channel ${channel}`);
      if (frequencyHz < ch.minHz || frequencyHz > ch.maxHz)
        return ctx.fail(Status.unsupported, `pwm.open: channel ${channel} (${ch.name}) makes ${ch.minHz}..${ch.maxHz} Hz, not ${frequencyHz} Hz`);
      const holder = channels.holder(ch);
      if (holder !== undefined) return ctx.fail(Status.busy, `pwm.open: channel ${channel} (${ch.name}) is claimed by ${holder}`);
      const refused = ch.start(frequencyHz);
      if (refused) return ctx.fail(abiStatus(refused.kind), `pwm.open: channel ${channel} (${ch.name}): ${refused.detail}`);
      channels.take(ch);
      out.handle = ctx.handles.issue(KIND, ch);
      ctx.traffic("pwm", () => ({ kind: "pwm", channel, name: ch.name, frequencyHz, duty: 0 }));
      return Status.ok;
    },

    setDuty(handle, duty) {
      const ch = ctx.handles.get<PwmChannel>(KIND, handle)!;
      if (Number.isNaN(duty) || duty < 0 || duty > 1) return ctx.fail(Status.invalidArg, `pwm.set_duty: duty ${duty} is outside 0.0 .. 1.0`);
      if (duty !== ch.duty) dutySet(ch, duty);
      ch.setDuty(duty);
      return Status.ok;
    },

    close(handle) {
      channels.release(ctx.handles.get<PwmChannel>(KIND, handle)!);
      ctx.handles.release(KIND, handle);
      return Status.ok;
    },
  };
}
