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
  private readonly buckets = new Map<string, { bucket: TokenBucket; suppressed: number }>();

  constructor(private readonly rate: { perSecond: number; burst: number } = DEFAULT_BUS_EVENT_RATE) {}

  /** The event to log (with `suppressed` when lines were dropped before it), or null to drop it. Other kinds pass unchanged. */
  admit(module: string, event: AgentEvent, nowUs: bigint): AgentEvent | null {
    if (!isBusTraffic(event)) return event;
    const key = `${module}\0${event.kind}`;
    let entry = this.buckets.get(key);
    if (!entry) {
      entry = { bucket: new TokenBucket(this.rate.perSecond, this.rate.burst), suppressed: 0 };
      this.buckets.set(key, entry);
    }
    if (!entry.bucket.take(nowUs)) {
      entry.suppressed++;
      return null;
    }
    if (entry.suppressed === 0) return event;
    const admitted = { ...event, suppressed: entry.suppressed };
    entry.suppressed = 0;
    return admitted;
  }
}
