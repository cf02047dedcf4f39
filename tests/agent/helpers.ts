// Test scaffolding: a board with no simulated peripherals beyond a few GPIO
// pins, and a host factory that uses the agent's real core/timer/kv/telemetry
// implementations plus a small GPIO host built on the real claim registry.

import { Status, PinMode, type HostImpl } from "../../src/abi/host.generated.js";
import { allows, PIN_MODES, type Capabilities } from "../../src/caps/capabilities.js";
import { Agent, type AgentOptions, type BoardLike, type HostServices, type ModuleSpec } from "../../src/agent/runtime.js";
import { ModuleInstance, type InstanceContext } from "../../src/agent/instance.js";
import { DeviceClaimRegistry } from "../../src/agent/handles.js";
import { prepareModule } from "../../src/agent/prepare.js";
import { createCoreHost } from "../../src/agent/host/core.js";
import { createTimerHost } from "../../src/agent/host/timer.js";
import { createKvHost } from "../../src/agent/host/kv.js";
import { createTelemetryHost } from "../../src/agent/host/telemetry.js";

export const testBoard = (grantable: Capabilities = {
  timers: 8, kv: 4096, telemetry: ["#"],
  gpio: [{ pin: 5, modes: ["output", "input"] }, { pin: 6, modes: ["output"] }],
}): BoardLike => ({ profile: { name: "test", grantable }, nextEventAt: () => null, advanceTo: () => {} });

const unsupported = () => Status.unsupported;

export function testHost(ctx: InstanceContext, s: HostServices): HostImpl {
  return {
    core: createCoreHost(ctx, s.core),
    timer: createTimerHost(ctx, s.timer),
    kv: createKvHost(ctx, s.kv),
    telemetry: createTelemetryHost(ctx, s.telemetry.queue, s.telemetry.rate),
    gpio: {
      claim(pin, mode, out) {
        const modeName = PIN_MODES[mode]!;
        if (!allows.gpio(ctx.caps, pin, modeName)) return ctx.fail(Status.notPermitted, `gpio.claim: pin ${pin} ${modeName} not granted`);
        if (!ctx.claims.claim(`gpio:${pin}`, ctx.moduleId)) return ctx.fail(Status.busy, `gpio.claim: pin ${pin} is held by ${ctx.claims.owner(`gpio:${pin}`)}`);
        ctx.onStop(() => ctx.claims.release(`gpio:${pin}`, ctx.moduleId));
        out.handle = ctx.handles.issue("gpio.pin", { pin, mode });
        return Status.ok;
      },
      read: (_h, out) => { out.level = false; return Status.ok; },
      write(handle, level) {
        const p = ctx.handles.get<{ pin: number; mode: number }>("gpio.pin", handle)!;
        if (p.mode !== PinMode.output) return Status.unsupported;
        ctx.emit({ kind: "gpio", pin: p.pin, level });
        return Status.ok;
      },
      watch: unsupported,
      release(handle) {
        const p = ctx.handles.get<{ pin: number }>("gpio.pin", handle)!;
        ctx.claims.release(`gpio:${p.pin}`, ctx.moduleId);
        ctx.handles.release("gpio.pin", handle);
        return Status.ok;
      },
    },
    sensor: { find: () => Status.notFound, read: () => Status.other, info: () => Status.ok },
    adc: { open: () => Status.notFound, read: () => Status.timeout, info: () => Status.ok },
    pwm: { open: () => Status.notFound, setDuty: unsupported, close: () => Status.ok },
    i2c: { write: () => Status.notFound, read: () => Status.notFound, writeRead: () => Status.notFound },
    spi: { transfer: () => Status.notFound },
    uart: { open: () => Status.notFound, write: () => Status.busy, read: () => Status.ok, close: () => Status.ok },
  };
}

export function testAgent(opts: Partial<AgentOptions<BoardLike>> = {}): Agent {
  return new Agent({ board: testBoard(), createHost: testHost, watchdogMs: 0, ...opts });
}

export function spec(id: string, bytes: Uint8Array, extra: Partial<ModuleSpec> = {}): ModuleSpec {
  return { id, bytes, source: `${id}.wasm`, requested: { timers: 2, kv: 1024, telemetry: ["#"] }, ...extra };
}

export const seconds = (s: number) => BigInt(Math.round(s * 1e6));

/**
 * A ModuleInstance on its own, outside any Agent (as the OTA live host uses
 * it), already started: a real core host and a timer host that accepts
 * everything, so the hostile fixtures' fwx_init succeeds.
 */
export function standaloneInstance(bytes: Uint8Array, opts: { fuel: bigint; watchdogMs: number }): ModuleInstance {
  const prepared = prepareModule(bytes, { moduleId: "m", source: "m.wasm", ramBudgetBytes: 65536 });
  const inst = new ModuleInstance(prepared, {
    caps: { timers: 1 }, config: new Map(), claims: new DeviceClaimRegistry(), nowUs: () => 0n, emit: () => {}, postEvent: () => {},
    ...opts,
    createHost: (ctx) => ({
      core: createCoreHost(ctx, { lastErrorDetail: () => "", minLogLevel: 0, logRate: { perSecond: 1, burst: 1 } }),
      timer: { start: () => Status.ok, cancel: () => Status.ok },
    }) as unknown as HostImpl,
  });
  const started = inst.start();
  if (!started.ok) throw new Error(`standaloneInstance: fwx_init faulted: ${started.report.reason}`);
  return inst;
}
