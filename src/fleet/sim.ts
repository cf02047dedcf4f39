// N simulated gateways in one process, for tests, benches and demos. Each is
// the real device agent (src/ota/device-agent.ts on the simulated board):
// its own state directory and anti-rollback store, its own MQTT connection
// and client id, its own root-signed device certificate, its board. Nothing
// about the protocol is simulated.
//
// A chosen fraction of devices fails every trial: their agents run with a
// health policy no module can meet (more callbacks than fit in the trial's
// timeout), so the real install state machine reverts the trial and reports
// "reverted" with its reason, as a gateway whose module misbehaves would.

import { seededRandom } from "../sim/prng.js";
import type { KeyObject } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { rawPublicKey } from "../pkg/keys.js";
import type { DeviceAgent, TimelineEntry } from "../ota/device-agent.js";
import type { HealthPolicy } from "../ota/install.js";
import { provisionDevice } from "../ota/provision.js";
import { startSimDevice } from "../ota/sim-device.js";
import type { MqttSecurity } from "../ota/transport.js";
import { loadBoardFile, type Board } from "../sim/board.js";

export interface FleetSimOptions {
  count: number;
  brokerUrl: string;
  security?: MqttSecurity;
  /** The product root's private key: the simulator provisions each device's certificate as a factory would. */
  rootKey: KeyObject;
  /** Parent of the devices' state directories (must exist). */
  dir: string;
  /** Device ids are <prefix><n>, n zero-padded (default "sim-"). */
  prefix?: string;
  /** Customers and groups, assigned round-robin. */
  customers: string[];
  groups: string[];
  /** Board profile files, assigned round-robin (default: the bundled demo board). */
  boards?: string[];
  /** Fraction (0..1) of devices that fail every trial; which ones is decided by `seed`, the same every run. */
  failFraction?: number;
  seed?: number;
  speed?: number;
  health?: Partial<HealthPolicy>;
  /**
   * Run only shard `index` of `of` (0-based): every `of`-th device from `index`, the part of the `count`
   * devices this process runs when a fleet is split across processes, so each gets a core. Interleaved,
   * not contiguous: rollout waves take devices in id order, and each wave must land on every process. Ids, customers, groups, boards and
   * the failing devices are those of the whole fleet, whatever the split.
   */
  shard?: { index: number; of: number };
  /** Devices started at once (each connects and publishes its status; default 20). */
  startConcurrency?: number;
  onTimeline?(device: string, e: TimelineEntry): void;
}

export interface SimGateway {
  id: string;
  customer: string;
  group: string;
  failsTrials: boolean;
  agent: DeviceAgent<Board>;
  stateDir: string;
}

export interface FleetSim {
  devices: SimGateway[];
  /** Every install event the devices reported, by device: what a test checks "never touched" against. */
  timeline(device: string): readonly TimelineEntry[];
  stop(): Promise<void>;
}

/** The health policy of a device that must fail every trial: the timeout ends the trial long before the callbacks are reached. */
export const FAILING_HEALTH: Partial<HealthPolicy> = { callbacks: 1_000_000_000 };

/** The indexes (0..count-1) of the devices that fail: exactly round(count × fraction) of them. */
export function failingIndexes(count: number, fraction: number, seed = 1): Set<number> {
  const idx = [...Array(count).keys()];
  const rnd = seededRandom(seed);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return new Set(idx.slice(0, Math.round(count * fraction)));
}

/** The device indexes of shard `index` of `of` in a fleet of `count`: index, index + of, …; sizes differ by at most one. */
export function shardIndexes(count: number, index: number, of: number): number[] {
  const out: number[] = [];
  for (let i = index; i < count; i += of) out.push(i);
  return out;
}

export async function startFleetSim(o: FleetSimOptions): Promise<FleetSim> {
  if (!Number.isInteger(o.count) || o.count < 1) throw new Error(`count ${o.count}: expected a positive integer`);
  const fraction = o.failFraction ?? 0;
  if (!(fraction >= 0 && fraction <= 1)) throw new Error(`fail fraction ${fraction}: expected a number in 0..1`);
  if (!o.customers.length || !o.groups.length) throw new Error("at least one customer and one group are needed");
  const shard = o.shard ?? { index: 0, of: 1 };
  if (!Number.isInteger(shard.of) || shard.of < 1 || shard.of > o.count || !Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.of) {
    throw new Error(`shard ${shard.index}/${shard.of}: expected 0 ≤ index < of ≤ count (${o.count})`);
  }
  const mine = shardIndexes(o.count, shard.index, shard.of);
  const rootPublicKey = rawPublicKey(o.rootKey);
  const prefix = o.prefix ?? "sim-";
  const failing = failingIndexes(o.count, fraction, o.seed ?? 1);
  const boards = (o.boards ?? []).map((b) => loadBoardFile(b));
  const timelines = new Map<string, TimelineEntry[]>();
  const devices: SimGateway[] = [];
  const startOne = async (i: number): Promise<SimGateway> => {
    const id = simDeviceId(prefix, i, o.count);
    const customer = o.customers[i % o.customers.length]!;
    const group = o.groups[i % o.groups.length]!;
    const stateDir = join(o.dir, id);
    mkdirSync(stateDir, { recursive: true });
    const identity = provisionDevice(o.rootKey, { deviceId: id, customer, group });
    const failsTrials = failing.has(i);
    const tl: TimelineEntry[] = [];
    timelines.set(id, tl);
    const agent = await startSimDevice({
      deviceId: id, brokerUrl: o.brokerUrl, ...(o.security ? { security: o.security } : {}), stateDir, rootPublicKey, ...identity, customer, group,
      // A fresh board per device: boards hold the simulated peripherals' state.
      ...(boards.length ? { board: loadBoardFile(o.boards![i % boards.length]!) } : {}),
      speed: o.speed ?? 60,
      health: { callbacks: 3, seconds: 10, timeoutSeconds: 60, ...o.health, ...(failsTrials ? FAILING_HEALTH : {}) },
      onTimeline: (e) => {
        tl.push(e);
        o.onTimeline?.(id, e);
      },
    });
    return { id, customer, group, failsTrials, agent, stateDir };
  };
  try {
    const next = { k: 0 };
    const workers = Array.from({ length: Math.min(o.startConcurrency ?? 20, mine.length) }, async () => {
      while (next.k < mine.length) {
        const k = next.k++;
        devices[k] = await startOne(mine[k]!);
      }
    });
    await Promise.all(workers);
  } catch (e) {
    await Promise.allSettled(devices.filter(Boolean).map((d) => d.agent.stop()));
    throw e;
  }
  return {
    devices,
    timeline: (id) => timelines.get(id) ?? [],
    async stop() {
      await Promise.allSettled(devices.map((d) => d.agent.stop()));
    },
  };
}

/** The id of the i-th (from 0) of `count` simulated gateways: numbered from 1, with as many digits as `count` has. */
export function simDeviceId(prefix: string, i: number, count: number): string {
  return `${prefix}${String(i + 1).padStart(String(count).length, "0")}`;
}
