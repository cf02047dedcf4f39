// Types of sim-device.js for TypeScript callers: the inspectable state.
export class SimDevice {
  nowUs: bigint;
  sensors: Map<string, { value: number; unit: string; min: number; max: number; fault: number; handle: number }>;
  pins: Map<number, { level: boolean; mode: number; handle: number; edges: number }>;
  timers: Map<number, { periodMs: number; periodic: boolean; dueUs: bigint; fired: number }>;
  config: Map<string, string>;
  kvStore: Map<string, Uint8Array>;
  logs: { level: number; message: string }[];
  published: { topic: string; payload: Uint8Array; atUs: bigint }[];
  aborts: { message: string | null; file: string | null; line: number; column: number }[];
  stepTimers(targetUs: bigint): number;
  stopModule(): void;
}
