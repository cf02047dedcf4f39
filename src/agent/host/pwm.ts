// fwx:pwm@1 on the simulated board. Channels are claimed exclusively (claim
// key `pwm:<channel>`); duty changes go to the event log with the channel's
// name. Check order: see sensor.ts.

import { Status, type PwmHost } from "../../abi/host.generated.js";
import { allows } from "../../caps/capabilities.js";
import type { Board } from "../../sim/board.js";
import type { SimPwmChannel } from "../../sim/peripherals.js";
import type { ModuleHostContext } from "../host-context.js";
import { exclusiveResources } from "./exclusive.js";

const KIND = "pwm.channel";

export function createPwmHost(board: Board, ctx: ModuleHostContext): PwmHost {
  const channels = exclusiveResources<SimPwmChannel>(ctx, "pwm", (ch) => ch.spec.channel, (ch) => {
    ch.duty = 0;
    ch.claimed = false;
    ctx.emit({ kind: "pwm", channel: ch.spec.channel, name: ch.spec.name, duty: 0, closed: true });
  });

  return {
    open(channel, frequencyHz, out) {
      if (frequencyHz === 0) return ctx.fail(Status.invalidArg, "pwm.open: frequency_hz is 0");
      if (!allows.pwm(ctx.caps, channel)) return ctx.fail(Status.notPermitted, `pwm.open: module ${ctx.moduleId} was not granted PWM channel ${channel}`);
      const ch = board.pwm(channel);
      if (!ch) return ctx.fail(Status.notFound, `pwm.open: board ${board.profile.name} has no PWM channel ${channel}`);
      if (frequencyHz < ch.spec.minHz || frequencyHz > ch.spec.maxHz)
        return ctx.fail(Status.unsupported, `pwm.open: channel ${channel} (${ch.spec.name}) makes ${ch.spec.minHz}..${ch.spec.maxHz} Hz, not ${frequencyHz} Hz`);
      const holder = channels.holder(ch);
      if (holder !== undefined) return ctx.fail(Status.busy, `pwm.open: channel ${channel} (${ch.spec.name}) is claimed by ${holder}`);
      channels.take(ch);
      ch.claimed = true;
      ch.frequencyHz = frequencyHz;
      ch.duty = 0;
      out.handle = ctx.handles.issue(KIND, ch);
      ctx.emit({ kind: "pwm", channel, name: ch.spec.name, frequencyHz, duty: 0 });
      return Status.ok;
    },

    setDuty(handle, duty) {
      const ch = ctx.handles.get<SimPwmChannel>(KIND, handle)!;
      if (Number.isNaN(duty) || duty < 0 || duty > 1) return ctx.fail(Status.invalidArg, `pwm.set_duty: duty ${duty} is outside 0.0 .. 1.0`);
      if (duty !== ch.duty) ctx.emit({ kind: "pwm", channel: ch.spec.channel, name: ch.spec.name, duty });
      ch.duty = duty;
      return Status.ok;
    },

    close(handle) {
      channels.release(ctx.handles.get<SimPwmChannel>(KIND, handle)!);
      ctx.handles.release(KIND, handle);
      return Status.ok;
    },
  };
}
