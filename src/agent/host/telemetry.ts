// fwx:telemetry@1 — messages to the cloud. Each module has a token bucket on
// the device clock; accepted messages go to the device's outgoing queue,
// which an uplink (the event log in simulation, MQTT on a device) drains.

import { Status, type TelemetryHost } from "../../abi/host.generated.js";
import { allows } from "../../caps/capabilities.js";
import type { ModuleHostContext } from "../host-context.js";
import { TokenBucket } from "../rate-limit.js";

export const TOPIC_MAX_BYTES = 64;
export const PAYLOAD_MAX_BYTES = 1024;

export interface TelemetryMessage { module: string; topic: string; payload: Uint8Array; tUs: bigint }

/** Where accepted messages go; `accept` returning false means "offline, keep it queued". */
export interface TelemetrySink { accept(msg: TelemetryMessage): boolean }

/** The device's outgoing queue, shared by all modules. */
export class TelemetryQueue {
  private readonly pending: TelemetryMessage[] = [];
  constructor(readonly capacity: number, private readonly sink: TelemetrySink) {}

  get length(): number {
    return this.pending.length;
  }

  offer(msg: TelemetryMessage): boolean {
    if (this.pending.length >= this.capacity) return false;
    this.pending.push(msg);
    return true;
  }

  /** Hands queued messages to the sink in order until it refuses one. */
  flush(): void {
    while (this.pending.length && this.sink.accept(this.pending[0]!)) this.pending.shift();
  }
}

const enc = new TextEncoder();

export function createTelemetryHost(ctx: ModuleHostContext, queue: TelemetryQueue, rate: { perSecond: number; burst: number }): TelemetryHost {
  const bucket = new TokenBucket(rate.perSecond, rate.burst);
  return {
    publish(topic, payload) {
      const n = enc.encode(topic).length;
      if (n === 0 || n > TOPIC_MAX_BYTES) return ctx.fail(Status.invalidArg, `telemetry.publish: topic is ${n} bytes, must be 1..${TOPIC_MAX_BYTES}`);
      if (/[+#\0]/.test(topic)) return ctx.fail(Status.invalidArg, `telemetry.publish: topic "${topic.replace(/\0/g, "\\0")}" holds +, # or NUL`);
      if (!allows.telemetry(ctx.caps, topic)) return ctx.fail(Status.notPermitted, `telemetry.publish: "${topic}" is outside the grant ${(ctx.caps.telemetry ?? []).join(", ") || "(none)"}`);
      // The documented order (docs/abi/telemetry.md): busy before no-space. A payload refused for its
      // size takes no token, so the rate is only looked at here and spent once the size is fine.
      if (!bucket.ready(ctx.nowUs())) return ctx.fail(Status.busy, `telemetry.publish: over ${rate.perSecond} messages/s (burst ${rate.burst}); message dropped`);
      if (payload.length > PAYLOAD_MAX_BYTES) return ctx.fail(Status.noSpace, `telemetry.publish: payload is ${payload.length} bytes, at most ${PAYLOAD_MAX_BYTES}`);
      bucket.take(ctx.nowUs());
      if (!queue.offer({ module: ctx.moduleId, topic, payload: payload.slice(), tUs: ctx.nowUs() })) {
        return ctx.fail(Status.noSpace, `telemetry.publish: the outgoing queue is full (${queue.capacity} messages)`);
      }
      return Status.ok;
    },
  };
}
