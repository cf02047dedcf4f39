// Peripheral traffic events (a bus transaction, a UART burst, a pin or PWM
// change) are what a simulated run is watched for, but a module polling a
// sensor makes one per call. Unbounded, they filled the device's log ring
// and its MQTT link within minutes and pushed real warnings out. So they are
// rate-limited per module and kind on the device clock (deterministic, like
// every other limit), the lines dropped are counted on the next line let
// through (`suppressed`), and their byte dumps are capped (src/sim/format.ts
// hexBytes). The device agent keeps them out of its log ring and MQTT link
// unless asked (src/ota/device-log.ts).

import type { AgentEvent } from "./host-context.js";
import { TokenBucket } from "./rate-limit.js";

/** Event kinds that report peripheral traffic rather than what a module decided to say. */
export const BUS_EVENT_KINDS: ReadonlySet<string> = new Set(["i2c", "spi", "uart", "gpio", "pwm"]);

export const isBusTraffic = (event: AgentEvent): boolean => BUS_EVENT_KINDS.has(event.kind);

/**
 * Default: 20 lines a second per module and kind, bursts of 40. A module
 * polling once a second or an example's 10 Hz loop is shown in full; a tight
 * polling loop shows one line in 50 ms with the count of what it dropped.
 */
export const DEFAULT_BUS_EVENT_RATE = Object.freeze({ perSecond: 20, burst: 40 });

export class BusEventLimiter {
  /** Per module, per kind: nested maps, so the hot path builds no key string. */
  private readonly buckets = new Map<string, Map<string, { bucket: TokenBucket; suppressed: number }>>();

  constructor(private readonly rate: { perSecond: number; burst: number } = DEFAULT_BUS_EVENT_RATE) {}

  /**
   * Whether a line of bus traffic `kind` from `module` may be logged at `nowUs`: null to drop it (and count
   * it), otherwise how many lines were dropped before it (0 for none), which the line then carries as
   * `suppressed`. A kind that is not bus traffic is never limited (0).
   */
  take(module: string, kind: string, nowUs: bigint): number | null {
    if (!BUS_EVENT_KINDS.has(kind)) return 0;
    let kinds = this.buckets.get(module);
    if (!kinds) this.buckets.set(module, (kinds = new Map()));
    let entry = kinds.get(kind);
    if (!entry) kinds.set(kind, (entry = { bucket: new TokenBucket(this.rate.perSecond, this.rate.burst), suppressed: 0 }));
    if (!entry.bucket.take(nowUs)) {
      entry.suppressed++;
      return null;
    }
    const suppressed = entry.suppressed;
    entry.suppressed = 0;
    return suppressed;
  }

  /** The event to log (with `suppressed` when lines were dropped before it), or null to drop it. Other kinds pass unchanged. */
  admit(module: string, event: AgentEvent, nowUs: bigint): AgentEvent | null {
    return withSuppressed(event, this.take(module, event.kind, nowUs));
  }
}

/** `event` as take() decided: null when dropped, and carrying the count of lines dropped before it. */
export function withSuppressed(event: AgentEvent, suppressed: number | null): AgentEvent | null {
  if (suppressed === null) return null;
  return suppressed === 0 ? event : { ...event, suppressed };
}
