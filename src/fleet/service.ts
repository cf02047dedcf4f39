// `fwx fleet` as a function: the database, the broker follower, the rollout
// controller and the HTTP API, started together and stopped together.

import { existsSync, rmSync } from "node:fs";
import { deviceActionsThroughBroker, storedBeforeAnswer, type EventWatchers } from "./device-actions.js";
import type { AddressInfo } from "node:net";
import { flash, FlashAborted } from "../ota/flasher.js";
import { PackageCache } from "../ota/package-cache.js";
import { DeviceDistrusted, DeviceRefused, DeviceUnreachable, type OperatorAuth } from "../ota/rpc.js";
import type { MqttSecurity } from "../ota/transport.js";
import { createApiServer, type LiveLogs } from "./api.js";
import { openFleetDb, sqliteFileOf, type FleetDb } from "./db/open.js";
import { DeltaStore } from "./deltas.js";
import { Follower, type LogRow } from "./follower.js";
import { RolloutController, type DeviceOutcome, type FlashDevice } from "./rollouts.js";
import { FleetStore } from "./store.js";
import { CrashStore } from "./crashes.js";

export interface FleetServiceOptions {
  /** SQLite file or postgres:// URL. */
  db: string;
  brokerUrl: string;
  security?: MqttSecurity;
  shareGroup: string | null;
  /** HTTP API address (port 0: any free port). */
  host?: string;
  port?: number;
  /** Operator credentials for rollouts; null: the service only follows the fleet. */
  auth: OperatorAuth | null;
  /** Delta bases: packages this service flashed (default: no deltas). */
  cacheDir?: string | null;
  /** Per-device limit: no answer, no progress or no verdict for this long ends in timed-out (default 120 s). */
  deviceTimeoutMs?: number;
  tickMs?: number;
  /** The built web console to serve (default: dist/console; null: none). */
  consoleDir?: string | null;
  /** Replaces the real flash (tests of the controller alone). */
  flashDevice?: FlashDevice;
  onError?(e: Error, where: string): void;
}

export interface FleetService {
  url: string;
  db: FleetDb;
  store: FleetStore;
  crashes: CrashStore;
  follower: Follower;
  rollouts: RolloutController | null;
  deltas: DeltaStore;
  close(): Promise<void>;
}

/** The real device operation: `fwx flash` with the service's operator credentials, its outcome as a rollout state. */
export function flashThroughBroker(o: { brokerUrl: string; security?: MqttSecurity; auth: OperatorAuth; cache: PackageCache | null; deltas: DeltaStore; timeoutMs: number }): FlashDevice {
  return async (device, pkg, signal): Promise<DeviceOutcome> => {
    try {
      const r = await flash({
        brokerUrl: o.brokerUrl, ...(o.security ? { security: o.security } : {}), device, pkg, auth: o.auth, cache: o.cache, delta: o.cache !== null,
        deltaFrom: (baseSha, base) => o.deltas.get(baseSha, base, pkg), signal,
        connectTimeoutMs: o.timeoutMs, replyTimeoutMs: o.timeoutMs, stallTimeoutMs: o.timeoutMs, verdictTimeoutMs: o.timeoutMs,
      });
      return { state: r.verdict, reason: [r.code, r.reason].filter(Boolean).join(": ") };
    } catch (e) {
      if (e instanceof FlashAborted) return { state: "timed-out", reason: "the fleet service stopped" };
      if (e instanceof DeviceUnreachable) return { state: "timed-out", reason: e.message };
      if (e instanceof DeviceRefused) return { state: "refused", reason: `${e.code}: ${e.message}` };
      if (e instanceof DeviceDistrusted) return { state: "refused", reason: `${e.code}: ${e.message}` };
      return { state: "failed", reason: (e as Error).message };
    }
  };
}

export async function startFleetService(o: FleetServiceOptions): Promise<FleetService> {
  // A start that fails (the broker unreachable, the port in use) leaves no database it created behind.
  const file = sqliteFileOf(o.db);
  const createdHere = file !== null && !existsSync(file);
  const db = await openFleetDb(o.db);
  const store = new FleetStore(db.db);
  const deltas = new DeltaStore(db.db);
  const crashes = new CrashStore(db.db);
  // One listener per open console stream of that device; any number of pages may watch. A Map, not an
  // EventEmitter: a device may be called "error".
  const logWatchers = new Map<string, Set<(row: LogRow) => void>>();
  const liveLogs: LiveLogs = {
    subscribe(device, fn) {
      const set = logWatchers.get(device) ?? new Set();
      logWatchers.set(device, set.add(fn));
      return () => {
        set.delete(fn);
        if (!set.size) logWatchers.delete(device);
      };
    },
  };
  // Install events as the follower stores them, by device: a console action answers once its effect is in the database.
  const eventWatchers: EventWatchers = new Map();
  let follower: Follower | null = null;
  let rollouts: RolloutController | null = null;
  try {
    follower = await Follower.start({
      brokerUrl: o.brokerUrl, ...(o.security ? { security: o.security } : {}), shareGroup: o.shareGroup, store, crashes,
      onRecorded: (kind, device, body) => {
        if (kind === "event") rollouts?.nudge();
        if (kind === "log") for (const fn of logWatchers.get(device) ?? []) fn(body as LogRow);
        if (kind === "event") for (const fn of eventWatchers.get(device) ?? []) fn(body as { phase?: string; module?: string });
      },
      onError: (e, topic) => o.onError?.(e, topic),
    });
    const flashDevice = o.flashDevice ?? (o.auth ? flashThroughBroker({
      brokerUrl: o.brokerUrl, ...(o.security ? { security: o.security } : {}), auth: o.auth,
      cache: o.cacheDir ? new PackageCache(o.cacheDir) : null, deltas, timeoutMs: o.deviceTimeoutMs ?? 120_000,
    }) : null);
    if (flashDevice) {
      rollouts = new RolloutController({ db: db.db, store, flashDevice, ...(o.tickMs ? { tickMs: o.tickMs } : {}) });
      rollouts.start();
    }
    const viaBroker = o.auth ? deviceActionsThroughBroker({ brokerUrl: o.brokerUrl, ...(o.security ? { security: o.security } : {}), auth: o.auth }) : null;
    const deviceActions = viaBroker ? storedBeforeAnswer(viaBroker, eventWatchers) : null;
    const server = createApiServer({ store, crashes, rollouts, deviceActions, liveLogs, ...(o.consoleDir !== undefined ? { consoleDir: o.consoleDir } : {}), whyNoRollouts: "this fleet service has no operator credentials, so it runs no rollouts (start it with --operator-key, --operator-cert and --root)" });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) => reject(new ApiListenError(o.host ?? "127.0.0.1", o.port ?? 8470, e)));
      server.listen(o.port ?? 8470, o.host ?? "127.0.0.1", () => resolve());
    });
    const a = server.address() as AddressInfo;
    const f = follower;
    const r = rollouts;
    return {
      url: `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`, db, store, crashes, follower: f, rollouts: r, deltas,
      async close() {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await r?.stop();
        await f.close();
        await deltas.idle();
        await db.close();
      },
    };
  } catch (e) {
    await rollouts?.stop();
    await follower?.close();
    await db.close();
    if (createdHere) for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    throw e;
  }
}

/** The HTTP API could not listen (the port in use, a privileged port, an address not on this machine). */
export class ApiListenError extends Error {
  readonly why: string;
  constructor(readonly host: string, readonly port: number, cause: NodeJS.ErrnoException) {
    const why = cause.code === "EADDRINUSE" ? "the port is in use" : cause.code === "EACCES" ? "permission denied (ports below 1024 need privileges)" : cause.code === "EADDRNOTAVAIL" ? "no such local address" : cause.message;
    super(`HTTP API cannot listen on ${host}:${port}: ${why}`);
    this.why = why;
    this.name = "ApiListenError";
  }
}
