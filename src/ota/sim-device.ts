// A device agent on the simulated board: what `fwx agent` runs and what the
// demo and the tests start in-process.

import type { KeyObject } from "node:crypto";
import { createDeviceHost } from "../agent/host/index.js";
import { defaultBoardPath, loadBoardFile, type Board } from "../sim/board.js";
import type { CrashHook } from "./crash.js";
import { DeviceAgent, type TimelineEntry } from "./device-agent.js";
import type { HealthPolicy } from "./install.js";
import type { ReceiverOptions } from "./receiver.js";
import type { MqttSecurity } from "./transport.js";
import type { AntiRollbackStore } from "./anti-rollback.js";

export interface SimDeviceOptions {
  deviceId: string;
  brokerUrl: string;
  security?: MqttSecurity;
  stateDir: string;
  /** See DeviceAgentOptions.floor (default: a file beside stateDir). */
  floor?: AntiRollbackStore;
  /** See DeviceAgentOptions.revocations. */
  revocations?: Uint8Array;
  rootPublicKey: Uint8Array;
  /** The device's identity key and its root-signed device certificate (src/pkg/identity.ts). */
  deviceKey: KeyObject;
  deviceCert: Uint8Array;
  customer: string;
  group: string;
  /** The board, loaded by the caller (fwx agent: with Linux hardware and --dev); else boardPath is loaded. */
  board?: Board;
  /** Board profile file; default: the bundled demo board. */
  boardPath?: string;
  speed?: number;
  health?: Partial<HealthPolicy>;
  receiver?: Partial<ReceiverOptions>;
  crash?: CrashHook | null;
  heartbeatMs?: number;
  /** See DeviceAgentOptions.busTraffic. */
  busTraffic?: boolean;
  onTimeline?(e: TimelineEntry): void;
  /** Resolve only once connected to the broker (default true; a daemon starts its modules regardless). */
  waitForBroker?: boolean;
}

export async function startSimDevice(opts: SimDeviceOptions): Promise<DeviceAgent<Board>> {
  const board = opts.board ?? loadBoardFile(opts.boardPath ?? defaultBoardPath());
  const agent = new DeviceAgent<Board>({
    deviceId: opts.deviceId, brokerUrl: opts.brokerUrl, stateDir: opts.stateDir, board, createHost: createDeviceHost,
    rootPublicKey: opts.rootPublicKey, deviceKey: opts.deviceKey, deviceCert: opts.deviceCert, customer: opts.customer, group: opts.group,
    ...(opts.security ? { security: opts.security } : {}),
    ...(opts.floor ? { floor: opts.floor } : {}),
    ...(opts.revocations ? { revocations: opts.revocations } : {}),
    ...(opts.speed !== undefined ? { speed: opts.speed } : {}),
    ...(opts.health ? { health: opts.health } : {}),
    ...(opts.receiver ? { receiver: opts.receiver } : {}),
    ...(opts.crash !== undefined ? { crash: opts.crash } : {}),
    ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
    ...(opts.onTimeline ? { onTimeline: opts.onTimeline } : {}),
    ...(opts.busTraffic !== undefined ? { busTraffic: opts.busTraffic } : {}),
  });
  await agent.start(opts.waitForBroker ?? true);
  return agent;
}
