// Simulated sensors, pins, ADC and PWM channels: the state the host
// implementations read and drive.

import { Prng } from "./prng.js";
import type { PinModeName, PinSpec, PwmChannelSpec, SensorSpec, SimAdcChannelSpec } from "./profile-types.js";
import type { Sources } from "./source.js";
import { traceEdges, type Trace } from "./trace.js";

export type SampleResult = { ok: true; value: number } | { ok: false; fault: "timeout" | "other"; detail: string };

/**
 * Noise streams of one peripheral, one per reader (module id), each seeded
 * from (board seed, peripheral, reader). A reader's values then depend only
 * on its own reads: a second module polling the same sensor cannot shift the
 * first one's noise, yet every run with the same seed repeats exactly.
 */
export class ReaderNoise {
  private readonly streams = new Map<string, Prng>();

  constructor(private readonly seed: number, private readonly stream: string) {}

  next(reader: string): number {
    let prng = this.streams.get(reader);
    if (!prng) {
      prng = new Prng(this.seed, `${this.stream}\0reader:${reader}`);
      this.streams.set(reader, prng);
    }
    return prng.nextNormal();
  }
}

export class SimSensor {
  private readonly noise: ReaderNoise;

  constructor(readonly spec: SensorSpec, private readonly sources: Sources, seed: number) {
    this.noise = new ReaderNoise(seed, `sensor:${spec.name}`);
  }

  /**
   * One sample at time t for `reader` (the module id). A `timeout` trace row
   * makes the sensor silent, a `fault` row or a true value outside the range
   * reports a fault. Noise, from the reader's own stream, is added to the true
   * value and the result is kept inside the range.
   */
  read(tUs: bigint, reader: string): SampleResult {
    const v = this.sources.valueAt(this.spec.source, tUs);
    if (v === "timeout") return { ok: false, fault: "timeout", detail: `sensor ${this.spec.name} did not answer` };
    if (v === "fault") return { ok: false, fault: "other", detail: `sensor ${this.spec.name} reports a fault (open circuit)` };
    const { min, max } = this.spec.range;
    if (v < min || v > max) return { ok: false, fault: "other", detail: `sensor ${this.spec.name} reads ${v} ${this.spec.unit}, outside its range ${min}..${max}` };
    const noisy = this.spec.noise > 0 ? v + this.noise.next(reader) * this.spec.noise : v;
    return { ok: true, value: Math.max(min, Math.min(max, noisy)) };
  }
}

export type EdgeListener = (level: boolean, atUs: bigint) => void;

export class SimPin {
  private claimedMode: PinModeName | null = null;
  private output = false;
  /** Level written to an output (push-pull: driven; open-drain: false = pulled low, true = released). */
  private outputLevel = false;
  private listener: EdgeListener | null = null;
  private readonly edges: { timeUs: bigint; level: boolean }[];
  private nextEdge = 0;

  constructor(readonly spec: PinSpec, trace: Trace | undefined) {
    const d = spec.drive;
    this.edges = d?.kind === "trace" && trace ? traceEdges(trace.series.get(d.column) ?? []) : [];
  }

  /** Mode while claimed; null when free (a free pin is a floating input). */
  get mode(): PinModeName | null {
    return this.claimedMode;
  }

  /** Whether the pin is claimed as an output (either kind): kept with the mode, as gpio.write asks on every call. */
  get isOutput(): boolean {
    return this.output;
  }

  /** Claims in a mode: push-pull outputs start low, open-drain outputs start released (high). */
  setMode(mode: PinModeName | null): void {
    this.claimedMode = mode;
    this.output = mode === "output" || mode === "output-open-drain";
    this.outputLevel = mode === "output-open-drain";
    this.listener = null;
  }

  write(level: boolean): void {
    this.outputLevel = level;
  }

  /** The level last written (what an output drives); level() of an output, without the time lookup. */
  get writtenLevel(): boolean {
    return this.outputLevel;
  }

  /** The level on the pin at time t. */
  level(tUs: bigint, sources: Sources): boolean {
    if (this.isOutput) return this.outputLevel;
    const d = this.spec.drive;
    if (d) return sources.valueAt(d, tUs) === 1;
    // Nothing drives the pin: the pull decides; a floating input reads low here.
    return this.mode === "input-pull-up";
  }

  /** Starts (or with null stops) reporting edges after time `fromUs`. */
  watch(listener: EdgeListener | null, fromUs: bigint): void {
    this.listener = listener;
    this.nextEdge = this.edges.findIndex((e) => e.timeUs > fromUs);
    if (this.nextEdge < 0) this.nextEdge = this.edges.length;
  }

  nextEventAt(): bigint | null {
    return this.listener && this.nextEdge < this.edges.length ? this.edges[this.nextEdge]!.timeUs : null;
  }

  runUntil(tUs: bigint): void {
    while (this.nextEdge < this.edges.length && this.edges[this.nextEdge]!.timeUs <= tUs) {
      const e = this.edges[this.nextEdge++]!;
      this.listener?.(e.level, e.timeUs);
    }
  }
}

export type AdcResult = { ok: true; raw: number; millivolts: number } | { ok: false; detail: string };

export class SimAdcChannel {
  private readonly noise: ReaderNoise;

  constructor(readonly spec: SimAdcChannelSpec, private readonly sources: Sources, seed: number) {
    this.noise = new ReaderNoise(seed, `adc:${spec.channel}`);
  }

  /** raw = floor(mV × 2^bits / vref), clamped to 0 .. 2^bits - 1; millivolts = raw scaled back. Noise comes from `reader`'s own stream. */
  read(tUs: bigint, reader: string): AdcResult {
    const v = this.sources.valueAt(this.spec.source, tUs);
    if (typeof v !== "number") return { ok: false, detail: `ADC channel ${this.spec.channel} (${this.spec.name}): conversion did not complete` };
    const mv = v + (this.spec.noise > 0 ? this.noise.next(reader) * this.spec.noise : 0);
    const full = 2 ** this.spec.bits;
    const raw = Math.max(0, Math.min(full - 1, Math.floor((mv * full) / this.spec.vrefMv)));
    return { ok: true, raw, millivolts: Math.round((raw * this.spec.vrefMv) / full) };
  }
}

export class SimPwmChannel {
  frequencyHz = 0;
  duty = 0;
  claimed = false;

  constructor(readonly spec: PwmChannelSpec) {}
}
