// fwx:adc@1 on the board's peripherals (src/hal/adc.ts). Channels are shared read-only, so there
// is no claim. Check order: see sensor.ts.

import { Status, type AdcHost } from "../../abi/host.generated.js";
import { allows } from "../../caps/capabilities.js";
import type { AdcChannel } from "../../hal/adc.js";
import { abiStatus } from "../../hal/errors.js";
import type { Peripherals } from "../../hal/peripherals.js";
import type { ModuleHostContext } from "../host-context.js";

const KIND = "adc.channel";

export function createAdcHost(board: Peripherals, ctx: ModuleHostContext): AdcHost {
  return {
    open(channel, out) {
      if (!allows.adc(ctx.caps, channel)) return ctx.fail(Status.notPermitted, `adc.open: module ${ctx.moduleId} was not granted ADC channel ${channel}`);
      const ch = board.adc(channel);
      if (!ch) return ctx.fail(Status.notFound, `adc.open: board ${board.name} has no ADC channel ${channel}`);
      out.handle = ctx.handles.issue(KIND, ch);
      return Status.ok;
    },

    read(handle, out) {
      const ch = ctx.handles.get<AdcChannel>(KIND, handle)!;
      const now = ctx.nowUs();
      board.advanceTo(now);
      const r = ch.read({ nowUs: now, caller: ctx.moduleId });
      if (!r.ok) return ctx.fail(abiStatus(r.kind), `adc.read: ${r.detail}`);
      out.raw = r.raw;
      out.millivolts = r.millivolts;
      return Status.ok;
    },

    info(handle, out) {
      const ch = ctx.handles.get<AdcChannel>(KIND, handle)!;
      out.bits = ch.bits;
      out.vrefMv = ch.vrefMv;
      return Status.ok;
    },
  };
}
