// fwx:adc@1 on the simulated board. Channels are shared read-only, so there
// is no claim. Check order: see sensor.ts.

import { Status, type AdcHost } from "../../abi/host.generated.js";
import { allows } from "../../caps/capabilities.js";
import type { Board } from "../../sim/board.js";
import type { SimAdcChannel } from "../../sim/peripherals.js";
import type { ModuleHostContext } from "../host-context.js";

const KIND = "adc.channel";

export function createAdcHost(board: Board, ctx: ModuleHostContext): AdcHost {
  return {
    open(channel, out) {
      if (!allows.adc(ctx.caps, channel)) return ctx.fail(Status.notPermitted, `adc.open: module ${ctx.moduleId} was not granted ADC channel ${channel}`);
      const ch = board.adc(channel);
      if (!ch) return ctx.fail(Status.notFound, `adc.open: board ${board.profile.name} has no ADC channel ${channel}`);
      out.handle = ctx.handles.issue(KIND, ch);
      return Status.ok;
    },

    read(handle, out) {
      const ch = ctx.handles.get<SimAdcChannel>(KIND, handle)!;
      const now = ctx.nowUs();
      board.advanceTo(now);
      const r = ch.read(now, ctx.moduleId);
      if (!r.ok) return ctx.fail(Status.timeout, `adc.read: ${r.detail}`);
      out.raw = r.raw;
      out.millivolts = r.millivolts;
      return Status.ok;
    },

    info(handle, out) {
      const { spec } = ctx.handles.get<SimAdcChannel>(KIND, handle)!;
      out.bits = spec.bits;
      out.vrefMv = spec.vrefMv;
      return Status.ok;
    },
  };
}
