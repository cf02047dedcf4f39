// The programmatic OTA API (the `npm start` demo uses it): an embedded broker
// on a free loopback port, a simulated device agent in-process on a temp
// state directory with an accelerated clock, flashes with progress, and the
// device's timeline of install steps, verdicts and module events.

import type { KeyObject } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBroker, type RunningBroker } from "./broker.js";
import type { DeviceAgent, TimelineEntry } from "./device-agent.js";
import type { Board } from "../sim/board.js";
import { flash, type FlashProgress, type FlashResult } from "./flasher.js";
import type { HealthPolicy } from "./install.js";
import { PackageCache } from "./package-cache.js";
import type { DeviceStatus, InstallEvent } from "./protocol.js";
import { rawPublicKey } from "../pkg/keys.js";
import { provisionDevice, provisionOperator } from "./provision.js";
import { ToolConnection, type CommandBody, type OperatorAuth, type SignedRequest } from "./rpc.js";
import { startSimDevice } from "./sim-device.js";

export type { FlashProgress, FlashResult, TimelineEntry, DeviceStatus, InstallEvent };

export interface OtaDemoOptions {
  /** Product root key: the device trusts its public half; the demo provisions the device's certificate and an operator's with it. */
  rootKey: KeyObject;
  customer: string;
  group: string;
  deviceId?: string;
  /** Board profile; default: the bundled demo board. */
  boardPath?: string;
  /** Device clock speed-up (default 60: a 10 s health window passes in ~0.2 s). */
  speed?: number;
  health?: Partial<HealthPolicy>;
}

export interface OtaDemo {
  brokerUrl: string;
  deviceId: string;
  /** Flashes a package; deltas are used automatically for later versions of a module. */
  flash(pkg: Uint8Array, onProgress?: (p: FlashProgress) => void): Promise<FlashResult>;
  /** One command on the control channel: rollback, remove, config (signed with the demo's operator key), logs, status. */
  command(body: CommandBody | SignedRequest): Promise<Record<string, unknown>>;
  status(): DeviceStatus;
  /** Everything the device did, in order. */
  timeline(): readonly TimelineEntry[];
  /** Install verdicts only. */
  verdicts(): InstallEvent[];
  stop(): Promise<void>;
}

export async function startOtaDemo(opts: OtaDemoOptions): Promise<OtaDemo> {
  const deviceId = opts.deviceId ?? "demo-gw-1";
  const dir = mkdtempSync(join(tmpdir(), "fwx-ota-demo-"));
  const events: TimelineEntry[] = [];
  let broker: RunningBroker | null = null;
  let device: DeviceAgent<Board> | null = null;
  const rootPublicKey = rawPublicKey(opts.rootKey);
  // Provisioning, as a factory would do it: the device's identity, and an operator allowed to manage this customer's devices.
  const identity = provisionDevice(opts.rootKey, { deviceId, customer: opts.customer, group: opts.group });
  const auth: OperatorAuth = { operator: provisionOperator(opts.rootKey, { operatorId: "demo-operator", customers: [opts.customer] }), rootPublicKey };
  try {
    broker = await startBroker({ port: 0, host: "127.0.0.1" });
    device = await startSimDevice({
      deviceId, brokerUrl: broker.url, stateDir: join(dir, "device"), rootPublicKey, ...identity,
      customer: opts.customer, group: opts.group, speed: opts.speed ?? 60,
      ...(opts.boardPath ? { boardPath: opts.boardPath } : {}),
      health: { callbacks: 3, seconds: 10, timeoutSeconds: 600, ...opts.health },
      onTimeline: (e) => events.push(e),
    });
  } catch (e) {
    await device?.stop();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const b = broker, d = device as DeviceAgent<Board>;
  const cache = new PackageCache(join(dir, "cache"));
  return {
    brokerUrl: b.url,
    deviceId,
    flash: (pkg, onProgress) => flash({ brokerUrl: b.url, device: deviceId, pkg, cache, auth, ...(onProgress ? { onProgress } : {}) }),
    async command(body) {
      const conn = await ToolConnection.open({ brokerUrl: b.url });
      try {
        if (body.op === "status" || body.op === "logs" || body.op === "query") return await conn.request(deviceId, body as CommandBody, 10_000);
        return (await conn.signedRequest(deviceId, body as SignedRequest, auth, 10_000)).reply;
      } finally {
        await conn.close();
      }
    },
    status: () => d.status(),
    timeline: () => events,
    verdicts: () => events.flatMap((e) => (e.kind === "install" && ["confirmed", "reverted", "refused", "failed"].includes(e.event.phase) ? [e.event] : [])),
    async stop() {
      await d.stop();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
