// The device's log: the last LOG_RING lines of what its modules said, served
// by `fwx logs` and mirrored to the MQTT log topic. Peripheral traffic
// (bus-events.ts) stays out of both by default: a module polling a sensor
// would otherwise fill the ring in minutes and push out the warnings it is
// there for, and cost link bandwidth for lines nobody asked for. A device
// started with `fwx agent --bus-traffic` keeps them (still rate-limited).

import { isBusTraffic } from "../agent/bus-events.js";
import type { AgentEvent } from "../agent/host-context.js";

export const LOG_RING = 500;

export type DeviceLogLine = { ts: number; tUs: number; module: string } & AgentEvent;

export class DeviceLog {
  private readonly ring: DeviceLogLine[] = [];

  constructor(private readonly opts: { busTraffic?: boolean; capacity?: number } = {}) {}

  /** Keeps `line` unless it is bus traffic nobody asked for; true when it was kept (and so goes on the link too). */
  record(line: DeviceLogLine): boolean {
    if (!this.opts.busTraffic && isBusTraffic(line)) return false;
    this.ring.push(line);
    if (this.ring.length > (this.opts.capacity ?? LOG_RING)) this.ring.shift();
    return true;
  }

  /**
   * The newest `limit` lines (1..capacity, default 100), of one module or all. Both come off the broker
   * unchecked, and are read as fwx_ota.c reads them, so the two devices answer the same request alike: a
   * limit that is not a 32-bit integer, or 0, is the default; a module that is not a string (or is empty) is all.
   */
  lines(module?: unknown, limit?: unknown): DeviceLogLine[] {
    const only = typeof module === "string" && module !== "" ? module : undefined;
    const n = typeof limit === "number" && Number.isInteger(limit) && limit !== 0 && limit >= -(2 ** 31) && limit < 2 ** 31 ? limit : 100;
    const lines = this.ring.filter((l) => only === undefined || l.module === only);
    return lines.slice(-Math.max(1, Math.min(n, this.opts.capacity ?? LOG_RING)));
  }
}
