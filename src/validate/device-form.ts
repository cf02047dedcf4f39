// The mcu class's limits on the module as a device installs it. `fwx pack
// --target mcu` instruments a module for fuel and adapts it for wasm3
// (src/pkg/project.ts), and the device's install check sees that form. The
// instrumenter can make a function bigger than the developer wrote it:
// binaryen keeps values left on the stack in new locals (1024 values became
// 1023 locals) and the fuel check wraps a body in one more block. So for mcu
// the validator checks the device form against the same limits, and gives
// the same verdict as the device; errors point at the developer's function.

import { instrumentFuel } from "../fuel/instrument.js";
import { adaptForMcu } from "../fuel/mcu.js";
import type { ParsedModule } from "../wasm/module.js";
import { parseModule } from "../wasm/reader.js";
import { limitIssues, type LimitContext } from "./resource-limits.js";
import type { IssueList } from "./types.js";

const DEVICE_FORM = "after fuel instrumentation for wasm3 (the form a device installs)";

function label(m: ParsedModule, index: number): string {
  const name = m.functionNames.get(index);
  return name === undefined ? `function ${index}` : `function ${index} "${name}"`;
}

/** For a module otherwise valid for mcu: its device form's limit errors, mapped back to its own functions. */
export function checkDeviceFormLimits(bytes: Uint8Array, m: ParsedModule, ctx: LimitContext, issues: IssueList): void {
  let device: Uint8Array;
  try {
    device = adaptForMcu(instrumentFuel(bytes, { ramBound: {} }).bytes).bytes; // as deviceForm (src/build/finish.ts) makes it
  } catch {
    return; // a module fwx cannot meter is refused by `fwx pack`, which names why
  }
  const found = limitIssues(device, ctx);
  if (found.length === 0) return;
  // The instrumenter keeps the defined functions in order (it may add an
  // import before them and helpers after them): the k-th is the k-th.
  const ownDefined = m.functions.filter((f) => !f.imported);
  const deviceDefined = parseModule(device, { decodeCode: false }).functions.filter((f) => !f.imported);
  for (const e of found) {
    const k = e.funcIndex === undefined ? -1 : deviceDefined.findIndex((f) => f.index === e.funcIndex);
    const own = k >= 0 ? ownDefined[k] : undefined;
    issues.error({
      code: "limit-exceeded",
      offset: own?.bodyOffset ?? 0,
      ...(own ? { funcIndex: own.index, location: label(m, own.index) } : {}),
      message: `${DEVICE_FORM}: ${e.message}`,
    });
  }
}
