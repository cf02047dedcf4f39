// A field tech's actions on one device from the console: roll a module back
// to its other slot, or set its configuration. Each is the same signed
// operator command `fwx rollback` and `fwx config set` send (src/ota/rpc.ts),
// under the fleet service's operator credentials, and what the API answers is
// the outcome the device signed, never the service's guess.

import type { MqttSecurity } from "../ota/transport.js";
import { ConfigValueError } from "../ota/config-values.js";
import { DeviceDistrusted, DeviceRefused, DeviceUnreachable, ToolConnection, type OperatorAuth } from "../ota/rpc.js";
import type { InstallEvent } from "../ota/protocol.js";

export type DeviceAction = { op: "rollback"; module: string } | { op: "config"; module: string; values: Record<string, string> };

/** What the device signed: the phase it reached ("rolled-back", "reconfigured"), with the module's version and reason. */
export interface DeviceActionResult {
  device: string;
  module: string;
  phase: string;
  version?: string;
  reason?: string;
}

/** The device refused the action or could not be reached: the API's 409 and 504, with the device's own words. */
export class DeviceActionError extends Error {
  constructor(readonly status: 400 | 409 | 504, message: string) {
    super(message);
    this.name = "DeviceActionError";
  }
}

export type RunDeviceAction = (device: string, action: DeviceAction) => Promise<DeviceActionResult>;

export function deviceActionsThroughBroker(o: { brokerUrl: string; security?: MqttSecurity; auth: OperatorAuth; timeoutMs?: number }): RunDeviceAction {
  const timeoutMs = o.timeoutMs ?? 10_000;
  return async (device, action) => {
    let conn: ToolConnection | null = null;
    try {
      conn = await ToolConnection.open({ brokerUrl: o.brokerUrl, connectTimeoutMs: Math.min(timeoutMs, 10_000), ...(o.security ? { security: o.security } : {}) });
      const { reply, statement } = await conn.signedRequest(device, action, o.auth, timeoutMs);
      if (!statement) throw new Error("the device answered without a proof");
      // The phase reported is the one the device signed, not whatever the reply's JSON says.
      const e = reply.event as InstallEvent;
      return { device, module: e.module, phase: statement.outcome, ...(e.version ? { version: e.version } : {}), ...(e.reason ? { reason: e.reason } : {}) };
    } catch (e) {
      if (e instanceof ConfigValueError) throw new DeviceActionError(400, e.message);
      if (e instanceof DeviceRefused) throw new DeviceActionError(409, `${device} refused: ${e.code}: ${e.message}`);
      if (e instanceof DeviceDistrusted) throw new DeviceActionError(409, e.message);
      if (e instanceof DeviceUnreachable) throw new DeviceActionError(504, e.message);
      throw e;
    } finally {
      await conn?.close();
    }
  };
}

/** Listeners for install events as the fleet follower stores them, by device (a Map: a device may be called "error"). */
export type EventWatchers = Map<string, Set<(e: { phase?: string; module?: string }) => void>>;

/** How long a console action's answer waits for the device's new status to be stored (it normally takes milliseconds). */
export const ACTION_STORED_WAIT_MS = 3000;

/**
 * A device action whose answer comes once the fleet database shows it. The device publishes its retained
 * status, then the event (rolled-back, reconfigured), then its signed reply, on one connection; the reply
 * reaches the service on its own connection, often before the follower has written the status. Answering
 * then let the console's fleet list, read right after, show the old version until its next poll. So the
 * answer waits (bounded) until the follower has stored the device's event of that module, which comes after
 * its status.
 */
export function storedBeforeAnswer(run: RunDeviceAction, watchers: EventWatchers, waitMs = ACTION_STORED_WAIT_MS): RunDeviceAction {
  return async (device, action) => {
    let stored!: () => void;
    const seen = new Promise<void>((resolve) => { stored = resolve; });
    const watch = (e: { phase?: string; module?: string }) => { if (e.module === action.module) stored(); };
    const set = watchers.get(device) ?? new Set();
    watchers.set(device, set.add(watch));
    let timer: NodeJS.Timeout | undefined;
    try {
      const r = await run(device, action);
      await Promise.race([seen, new Promise<void>((resolve) => { timer = setTimeout(resolve, waitMs); })]);
      return r;
    } finally {
      clearTimeout(timer);
      set.delete(watch);
      if (!set.size) watchers.delete(device);
    }
  };
}
