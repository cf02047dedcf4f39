// fwx:gpio@1 on the simulated board. Pins are claimed exclusively across
// modules (claim key `gpio:<pin>`); input edges from the trace become
// `gpio edge` events at their exact virtual times. Check order: see sensor.ts.

import { Edge, EventKind, Status, type GpioHost } from "../../abi/host.generated.js";
import { allows, PIN_MODES } from "../../caps/capabilities.js";
import type { Board } from "../../sim/board.js";
import type { SimPin } from "../../sim/peripherals.js";
import type { PinModeName } from "../../sim/profile-types.js";
import type { ModuleHostContext } from "../host-context.js";
import { exclusiveResources } from "./exclusive.js";

const KIND = "gpio.pin";

export function createGpioHost(board: Board, ctx: ModuleHostContext): GpioHost {
  const pins = exclusiveResources<SimPin>(ctx, "gpio", (pin) => pin.spec.pin, (pin) => {
    const wasOutput = pin.isOutput;
    pin.setMode(null);
    ctx.emit({ kind: "gpio", pin: pin.spec.pin, name: pin.spec.name, released: true, ...(wasOutput ? { mode: "input" } : {}) });
  });

  return {
    claim(pinNumber, mode, out) {
      const modeName = PIN_MODES[mode] as PinModeName | undefined;
      if (modeName === undefined) return ctx.fail(Status.invalidArg, `gpio.claim: mode ${mode} is not a pin-mode value`);
      if (!allows.gpio(ctx.caps, pinNumber, modeName)) return ctx.fail(Status.notPermitted, `gpio.claim: module ${ctx.moduleId} was not granted pin ${pinNumber} as ${modeName}`);
      const pin = board.pin(pinNumber);
      if (!pin) return ctx.fail(Status.notFound, `gpio.claim: board ${board.profile.name} has no pin ${pinNumber}`);
      if (!pin.spec.modes.includes(modeName))
        return ctx.fail(Status.unsupported, `gpio.claim: pin ${pinNumber} (${pin.spec.name}) cannot be ${modeName} (it supports ${pin.spec.modes.join(", ")})`);
      const holder = pins.holder(pin);
      if (holder !== undefined) return ctx.fail(Status.busy, `gpio.claim: pin ${pinNumber} (${pin.spec.name}) is claimed by ${holder}`);
      pins.take(pin);
      pin.setMode(modeName);
      out.handle = ctx.handles.issue(KIND, pin);
      const now = ctx.nowUs();
      ctx.emit({ kind: "gpio", pin: pinNumber, name: pin.spec.name, mode: modeName, level: pin.level(now, board.sources) ? 1 : 0 });
      return Status.ok;
    },

    read(handle, out) {
      const pin = ctx.handles.get<SimPin>(KIND, handle)!;
      const now = ctx.nowUs();
      board.advanceTo(now);
      out.level = pin.level(now, board.sources);
      return Status.ok;
    },

    write(handle, level) {
      const pin = ctx.handles.get<SimPin>(KIND, handle)!;
      if (!pin.isOutput) return ctx.fail(Status.unsupported, `gpio.write: pin ${pin.spec.pin} (${pin.spec.name}) was claimed as ${pin.mode}`);
      // An output's level is what was last written: no clock read, no trace lookup.
      const before = pin.writtenLevel;
      pin.write(level);
      if (before !== level) ctx.emit({ kind: "gpio", pin: pin.spec.pin, name: pin.spec.name, level: level ? 1 : 0 });
      return Status.ok;
    },

    watch(handle, edges) {
      const pin = ctx.handles.get<SimPin>(KIND, handle)!;
      if ((edges & ~(Edge.rising | Edge.falling)) !== 0) return ctx.fail(Status.invalidArg, `gpio.watch: edges 0x${edges.toString(16)} has bits outside rising|falling`);
      if (pin.isOutput) return ctx.fail(Status.unsupported, `gpio.watch: pin ${pin.spec.pin} (${pin.spec.name}) was claimed as ${pin.mode}`);
      const now = ctx.nowUs();
      board.advanceTo(now);
      if (edges === 0) {
        pin.watch(null, now);
        return Status.ok;
      }
      pin.watch((level) => {
        if (!(edges & (level ? Edge.rising : Edge.falling))) return;
        ctx.emit({ kind: "gpio", pin: pin.spec.pin, name: pin.spec.name, edge: level ? "rising" : "falling", level: level ? 1 : 0 });
        ctx.postEvent(EventKind.gpioEdge, handle, level ? 1 : 0);
      }, now);
      return Status.ok;
    },

    release(handle) {
      pins.release(ctx.handles.get<SimPin>(KIND, handle)!);
      ctx.handles.release(KIND, handle);
      return Status.ok;
    },
  };
}
