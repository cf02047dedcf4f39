// Conformance of the agent's own host implementations (core, timer, kv,
// telemetry) through the generated glue: every status the ABI documents for
// each function is provoked, and the set provoked must equal the documented set.

import { afterAll, describe, expect, it } from "vitest";
import { createHostImports, STATUS_NAMES, Status, type HostImpl } from "../../src/abi/host.generated.js";
import type { Capabilities } from "../../src/caps/capabilities.js";
import { LOWERED } from "../../src/agent/abi.js";
import { InstanceContext, type InstanceEnv } from "../../src/agent/instance.js";
import { DeviceClaimRegistry } from "../../src/agent/handles.js";
import { Scheduler } from "../../src/agent/scheduler.js";
import { createCoreHost } from "../../src/agent/host/core.js";
import { createTimerHost } from "../../src/agent/host/timer.js";
import { createKvHost, KvStore } from "../../src/agent/host/kv.js";
import { createTelemetryHost, TelemetryQueue } from "../../src/agent/host/telemetry.js";

type Fn = (...a: number[]) => number;

function harness(caps: Capabilities, opts: { queueCapacity?: number; sinkOnline?: boolean } = {}) {
  const memory = new WebAssembly.Memory({ initial: 1 });
  let now = 0n;
  const scheduler = new Scheduler();
  const fired: number[] = [];
  const env: InstanceEnv = {
    caps, config: new Map([["threshold_c", "8.5"]]), claims: new DeviceClaimRegistry(),
    nowUs: () => now, emit: () => {}, postEvent: () => {}, fuel: 1000n, watchdogMs: 0, createHost: () => { throw new Error("unused"); },
  };
  const ctx = new InstanceContext("conf", memory, env);
  const queue = new TelemetryQueue(opts.queueCapacity ?? 64, { accept: () => opts.sinkOnline ?? true });
  const host = {
    core: createCoreHost(ctx, { lastErrorDetail: () => ctx.lastErrorDetail, minLogLevel: 0, logRate: { perSecond: 1, burst: 3 } }),
    timer: createTimerHost(ctx, { schedule: (at, fire) => { const t = scheduler.schedule(at, 0, fire); return { cancel: () => scheduler.cancel(t) }; }, deliver: (id) => fired.push(id) }),
    kv: createKvHost(ctx, new KvStore("conf", null)),
    telemetry: createTelemetryHost(ctx, queue, { perSecond: 1, burst: 2 }),
  } as unknown as HostImpl;
  const imports = createHostImports(host, ctx) as unknown as Record<string, Record<string, Fn>>;
  let heap = 1024;
  const bytes = (b: Uint8Array) => { new Uint8Array(memory.buffer).set(b, heap); const at = heap; heap += b.length + 8; return [at, b.length] as const; };
  const str = (s: string) => bytes(new TextEncoder().encode(s));
  const u32At = (p: number) => new DataView(memory.buffer).getUint32(p, true);
  return {
    imports, ctx, queue, fired, str, bytes, u32At,
    /** Moves the clock forward, visiting every due instant in order as the agent's loop does. */
    advance(us: bigint) {
      const end = now + us;
      for (let next = scheduler.nextAt(); next !== null && next <= end; next = scheduler.nextAt()) {
        now = next;
        for (let t = scheduler.popDue(now); t; t = scheduler.popDue(now)) t.run();
      }
      now = end;
    },
  };
}

const seen = new Map<string, Set<number>>();
function note(fn: string, status: number): number {
  (seen.get(fn) ?? seen.set(fn, new Set()).get(fn)!).add(status);
  return status;
}

describe("core/timer/kv/telemetry conformance", () => {
  it("core.log", () => {
    const h = harness({});
    const log = (lvl: number, m: readonly [number, number]) => note("core.log", h.imports["fwx:core@1"]!.log!(lvl, m[0], m[1]));
    expect(log(1, h.str("hello"))).toBe(Status.ok);
    expect(log(9, h.str("bad level"))).toBe(Status.invalidArg);
    expect(log(1, h.bytes(Uint8Array.from([0xc3, 0x28])))).toBe(Status.invalidArg);
    expect(log(1, h.str("two"))).toBe(Status.ok);
    expect(log(1, h.str("three"))).toBe(Status.ok);
    expect(log(1, h.str("over the burst"))).toBe(Status.busy);
    h.advance(1_000_000n);
    expect(log(1, h.str("refilled"))).toBe(Status.ok);
  });

  it("core.config_get and core.error_detail", () => {
    const h = harness({});
    const cfg = (k: readonly [number, number], cap: number) => note("core.config_get", h.imports["fwx:core@1"]!.config_get!(k[0], k[1], 8000, cap, 8100));
    expect(cfg(h.str("threshold_c"), 16)).toBe(Status.ok);
    expect(new TextDecoder().decode(new Uint8Array(h.ctx.memory.buffer, 8000, h.u32At(8100)))).toBe("8.5");
    expect(cfg(h.str(""), 16)).toBe(Status.invalidArg);
    expect(cfg(h.bytes(Uint8Array.from([0xff])), 16)).toBe(Status.invalidArg);
    expect(cfg(h.str("nope"), 16)).toBe(Status.notFound);
    const detail = (cap: number) => note("core.error_detail", h.imports["fwx:core@1"]!.error_detail!(9000, cap, 9100));
    expect(detail(200)).toBe(Status.ok);
    expect(new TextDecoder().decode(new Uint8Array(h.ctx.memory.buffer, 9000, h.u32At(9100)))).toBe('core.config_get: no value and no default for "nope"');
    expect(cfg(h.str("threshold_c"), 2)).toBe(Status.noSpace);
    expect(h.u32At(8100)).toBe(3);
    expect(detail(4)).toBe(Status.noSpace);
    expect(h.u32At(9100)).toBeGreaterThan(4);
  });

  it("timer.start and timer.cancel", () => {
    const none = harness({});
    expect(note("timer.start", none.imports["fwx:timer@1"]!.start!(1, 100, 0))).toBe(Status.notPermitted);
    expect(note("timer.cancel", none.imports["fwx:timer@1"]!.cancel!(1))).toBe(Status.notPermitted);
    const h = harness({ timers: 2 });
    const start = (id: number, ms: number, p: number) => note("timer.start", h.imports["fwx:timer@1"]!.start!(id, ms, p));
    const cancel = (id: number) => note("timer.cancel", h.imports["fwx:timer@1"]!.cancel!(id));
    expect(start(1, 0, 0)).toBe(Status.invalidArg);
    expect(start(1, 100, 2)).toBe(Status.invalidArg);
    expect(start(1, 100, 1)).toBe(Status.ok);
    expect(start(2, 250, 0)).toBe(Status.ok);
    expect(start(3, 100, 0)).toBe(Status.noSpace);
    expect(start(1, 100, 1)).toBe(Status.ok); // restarting a running timer needs no new slot
    h.advance(300_000n);
    expect(h.fired).toEqual([1, 1, 2, 1]); // 100, 200, 250 (one-shot), 300 ms
    expect(cancel(2)).toBe(Status.notFound); // one-shot already expired
    expect(cancel(1)).toBe(Status.ok);
    h.advance(1_000_000n);
    expect(h.fired).toEqual([1, 1, 2, 1]);
  });

  it("kv.get, kv.set and kv.delete", () => {
    const none = harness({});
    const k0 = none.str("key");
    expect(note("kv.get", none.imports["fwx:kv@1"]!.get!(k0[0], k0[1], 8000, 16, 8100))).toBe(Status.notPermitted);
    expect(note("kv.set", none.imports["fwx:kv@1"]!.set!(k0[0], k0[1], 8000, 4))).toBe(Status.notPermitted);
    expect(note("kv.delete", none.imports["fwx:kv@1"]!.delete!(k0[0], k0[1]))).toBe(Status.notPermitted);
    const h = harness({ kv: 16 });
    const kv = h.imports["fwx:kv@1"]!;
    const key = h.str("count"), long = h.str("k".repeat(33)), empty = h.str("");
    const val = h.bytes(Uint8Array.from([1, 2, 3, 4]));
    expect(note("kv.set", kv.set!(key[0], key[1], val[0], val[1]))).toBe(Status.ok);
    expect(note("kv.set", kv.set!(long[0], long[1], val[0], val[1]))).toBe(Status.invalidArg);
    const big = h.bytes(new Uint8Array(12));
    expect(note("kv.set", kv.set!(key[0], key[1], big[0], big[1]))).toBe(Status.noSpace); // 5 + 12 > 16
    expect(note("kv.get", kv.get!(key[0], key[1], 8000, 16, 8100))).toBe(Status.ok);
    expect([...new Uint8Array(h.ctx.memory.buffer, 8000, h.u32At(8100))]).toEqual([1, 2, 3, 4]); // old value kept
    expect(note("kv.get", kv.get!(key[0], key[1], 8000, 2, 8100))).toBe(Status.noSpace);
    expect(h.u32At(8100)).toBe(4);
    expect(note("kv.get", kv.get!(empty[0], empty[1], 8000, 16, 8100))).toBe(Status.invalidArg);
    expect(note("kv.delete", kv.delete!(empty[0], empty[1]))).toBe(Status.invalidArg);
    expect(note("kv.delete", kv.delete!(key[0], key[1]))).toBe(Status.ok);
    expect(note("kv.delete", kv.delete!(key[0], key[1]))).toBe(Status.notFound);
    expect(note("kv.get", kv.get!(key[0], key[1], 8000, 16, 8100))).toBe(Status.notFound);
  });

  it("telemetry.publish", () => {
    const h = harness({ telemetry: ["alarms/#"] }, { queueCapacity: 2, sinkOnline: false });
    const pub = (t: readonly [number, number], p: readonly [number, number]) => note("telemetry.publish", h.imports["fwx:telemetry@1"]!.publish!(t[0], t[1], p[0], p[1]));
    const small = h.str("{}");
    expect(pub(h.str("alarms/high"), small)).toBe(Status.ok);
    expect(pub(h.str(""), small)).toBe(Status.invalidArg);
    expect(pub(h.str("alarms/+"), small)).toBe(Status.invalidArg);
    expect(pub(h.str("t".repeat(65)), small)).toBe(Status.invalidArg);
    expect(pub(h.str("status"), small)).toBe(Status.notPermitted);
    expect(pub(h.str("alarms/big"), h.bytes(new Uint8Array(1025)))).toBe(Status.noSpace);
    expect(pub(h.str("alarms/high"), small)).toBe(Status.ok);
    expect(pub(h.str("alarms/high"), small)).toBe(Status.busy); // burst of 2 spent
    h.advance(1_000_000n);
    expect(pub(h.str("alarms/high"), small)).toBe(Status.noSpace); // offline uplink: the queue of 2 is full
    expect(h.queue.length).toBe(2);
  });

  it("telemetry.publish: a module over its rate is told busy before an oversize payload's no-space, in the documented order", () => {
    // docs/abi/telemetry.md, "Checks, in order": busy (rate), then no-space (payload over 1024 bytes, queue full).
    const h = harness({ telemetry: ["alarms/#"] });
    const pub = (t: readonly [number, number], p: readonly [number, number]) => h.imports["fwx:telemetry@1"]!.publish!(t[0], t[1], p[0], p[1]);
    const topic = h.str("alarms/high"), small = h.str("{}"), big = h.bytes(new Uint8Array(1025));
    expect(pub(topic, small)).toBe(Status.ok);
    expect(pub(topic, small)).toBe(Status.ok);
    expect(pub(topic, big)).toBe(Status.busy); // burst of 2 spent
    h.advance(1_000_000n);
    expect(pub(topic, big)).toBe(Status.noSpace);
  });

  afterAll(() => {
    // Every documented status of every function above was provoked.
    for (const [fn, statuses] of seen) {
      const [iface, name] = fn.split(".");
      const lowered = LOWERED.functionByImport.get(`fwx:${iface}@1\0${name}`)!;
      expect([...statuses].map((s) => STATUS_NAMES[s]).sort(), fn).toEqual([...lowered.statuses].sort());
    }
    expect([...seen.keys()].sort()).toEqual(["core.config_get", "core.error_detail", "core.log", "kv.delete", "kv.get", "kv.set", "telemetry.publish", "timer.cancel", "timer.start"]);
  });
});
