// fwx:sensor@1 on the board's sensor sources (src/hal/sensor.ts).
//
// Check order (here and in the other peripheral hosts), as the lowered plan
// documents it (host-abi/gen/check-plan.ts, docs/abi/*.md "Checks, in order"):
// argument values (invalid-arg), then the grant's scope (not-permitted), then
// whether the board has the resource (not-found) and can do the request with
// it (unsupported), then device state (busy, bus errors). Policy comes before
// facts about the hardware so that a module learns nothing about the board
// outside its grants; not-found is left for a grant naming hardware this
// board lacks.

import { Status, type SensorHost } from "../../abi/host.generated.js";
import { allows } from "../../caps/capabilities.js";
import { abiStatus } from "../../hal/errors.js";
import type { Peripherals } from "../../hal/peripherals.js";
import type { SensorSource } from "../../hal/sensor.js";
import type { ModuleHostContext } from "../host-context.js";
import { writeText } from "./core.js";

const KIND = "sensor.sensor";

export function createSensorHost(board: Peripherals, ctx: ModuleHostContext): SensorHost {
  const scratch = { len: 0 };
  return {
    find(name, out) {
      if (name === "") return ctx.fail(Status.invalidArg, "sensor.find: the name is empty");
      if (!allows.sensor(ctx.caps, name)) return ctx.fail(Status.notPermitted, `sensor.find: module ${ctx.moduleId} was not granted sensor ${name}`);
      const sensor = board.sensor(name);
      if (!sensor) return ctx.fail(Status.notFound, `sensor.find: board ${board.name} has no sensor named ${JSON.stringify(name)}`);
      const existing = ctx.handles.entries<SensorSource>(KIND).find(([, s]) => s === sensor);
      out.handle = existing ? existing[0] : ctx.handles.issue(KIND, sensor);
      return Status.ok;
    },

    read(handle, out) {
      const sensor = ctx.handles.get<SensorSource>(KIND, handle)!;
      const now = ctx.nowUs();
      board.advanceTo(now);
      const sample = sensor.read({ nowUs: now, caller: ctx.moduleId });
      if (!sample.ok) return ctx.fail(abiStatus(sample.kind), `sensor.read: ${sample.detail}`);
      out.value = sample.value;
      out.timestampUs = now;
      return Status.ok;
    },

    info(handle, unit, out) {
      const sensor = ctx.handles.get<SensorSource>(KIND, handle)!;
      const written = writeText(sensor.unit, unit, scratch);
      out.unitLen = scratch.len;
      if (written !== Status.ok) return ctx.fail(written, `sensor.info: the unit of ${sensor.name} needs ${scratch.len} bytes, the buffer has ${unit.length}`);
      out.min = sensor.range.min;
      out.max = sensor.range.max;
      return Status.ok;
    },
  };
}
