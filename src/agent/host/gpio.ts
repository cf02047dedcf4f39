// fwx:gpio@1 on the board's pins (src/hal/pin.ts). Pins are claimed
// exclusively across modules (claim key `gpio:<pin>`); input edges the pin
// reports become `gpio edge` events at their device times. Check order: see sensor.ts.

import { Edge, EventKind, Status, type GpioHost } from "../../abi/host.generated.js";
import { allows, PIN_MODES } from "../../caps/capabilities.js";
import { abiStatus } from "../../hal/errors.js";
import type { Peripherals } from "../../hal/peripherals.js";
import type { Pin, PinMode } from "../../hal/pin.js";
import type { ModuleHostContext } from "../host-context.js";
import { exclusiveResources } from "./exclusive.js";

const KIND = "gpio.pin";

export function createGpioHost(board: Peripherals, ctx: ModuleHostContext): GpioHost {
  const pins = exclusiveResources<Pin>(ctx, "gpio", (pin) => pin.number, (pin) => {
    const wasOutput = pin.isOutput;
    pin.configure(null, { nowUs: ctx.nowUs(), caller: ctx.moduleId });
    ctx.traffic("gpio", () => ({ kind: "gpio", pin: pin.number, name: pin.name, released: true, ...(wasOutput ? { mode: "input" } : {}) }));
  });
  // Out of write(), the hot path: a function holding a closure over its locals gets a context on every
  // call, even when the closure is not made (gpio.write measured 2.5-2.8x -> 2.9-3.4x a bare import).
  const levelWritten = (pin: Pin, level: boolean) => ctx.traffic("gpio", () => ({ kind: "gpio", pin: pin.number, name: pin.name, level: level ? 1 : 0 }));

  return {
    claim(pinNumber, mode, out) {
      const modeName = PIN_MODES[mode] as PinMode | undefined;
      if (modeName === undefined) return ctx.fail(Status.invalidArg, `gpio.claim: mode ${mode} is not a pin-mode value`);
      if (!allows.gpio(ctx.caps, pinNumber, modeName)) return ctx.fail(Status.notPermitted, `gpio.claim: module ${ctx.moduleId} was not granted pin ${pinNumber} as ${modeName}`);
      const pin = board.pin(pinNumber);
      if (!pin) return ctx.fail(Status.notFound, `gpio.claim: board ${board.name} has no pin ${pinNumber}`);
      if (!pin.modes.includes(modeName))
        return ctx.fail(Status.unsupported, `gpio.claim: pin ${pinNumber} (${pin.name}) cannot be ${modeName} (it supports ${pin.modes.join(", ")})`);
      const holder = pins.holder(pin);
      if (holder !== undefined) return ctx.fail(Status.busy, `gpio.claim: pin ${pinNumber} (${pin.name}) is claimed by ${holder}`);
      const at = { nowUs: ctx.nowUs(), caller: ctx.moduleId };
      const refused = pin.configure(modeName, at);
      if (refused) return ctx.fail(abiStatus(refused.kind), `gpio.claim: pin ${pinNumber} (${pin.name}) as ${modeName}: ${refused.detail}`);
      pins.take(pin);
      out.handle = ctx.handles.issue(KIND, pin);
      ctx.traffic("gpio", () => ({ kind: "gpio", pin: pinNumber, name: pin.name, mode: modeName, level: pin.level(at) ? 1 : 0 }));
      return Status.ok;
    },

    read(handle, out) {
      const pin = ctx.handles.get<Pin>(KIND, handle)!;
      const now = ctx.nowUs();
      board.advanceTo(now);
      out.level = pin.level({ nowUs: now, caller: ctx.moduleId });
      return Status.ok;
    },

    write(handle, level) {
      const pin = ctx.handles.get<Pin>(KIND, handle)!;
      if (!pin.isOutput) return ctx.fail(Status.unsupported, `gpio.write: pin ${pin.number} (${pin.name}) was claimed as ${pin.mode}`);
      // An output's level is what was last written: no clock read, no trace lookup.
      const before = pin.writtenLevel;
      pin.write(level);
      if (before !== level) levelWritten(pin, level);
      return Status.ok;
    },

    watch(handle, edges) {
      const pin = ctx.handles.get<Pin>(KIND, handle)!;
      if ((edges & ~(Edge.rising | Edge.falling)) !== 0) return ctx.fail(Status.invalidArg, `gpio.watch: edges 0x${edges.toString(16)} has bits outside rising|falling`);
      if (pin.isOutput) return ctx.fail(Status.unsupported, `gpio.watch: pin ${pin.number} (${pin.name}) was claimed as ${pin.mode}`);
      const at = { nowUs: ctx.nowUs(), caller: ctx.moduleId };
      board.advanceTo(at.nowUs);
      if (edges === 0) {
        pin.watch(null, at);
        return Status.ok;
      }
      pin.watch((level) => {
        if (!(edges & (level ? Edge.rising : Edge.falling))) return;
        ctx.traffic("gpio", () => ({ kind: "gpio", pin: pin.number, name: pin.name, edge: level ? "rising" : "falling", level: level ? 1 : 0 }));
        ctx.postEvent(EventKind.gpioEdge, handle, level ? 1 : 0);
      }, at);
      return Status.ok;
    },

    release(handle) {
      pins.release(ctx.handles.get<Pin>(KIND, handle)!);
      ctx.handles.release(KIND, handle);
      return Status.ok;
    },
  };
}
