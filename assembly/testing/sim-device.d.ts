// Types of sim-device.js for TypeScript callers: the inspectable state.
/** A simulated I2C target (sim-buses.js): a register file with scripted read queues. */
export interface I2cTarget {
  regs: Uint8Array;
  pointer: number;
  queues: Map<number, { width: number; entries: Uint8Array[] }>;
}

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
  i2cDevices: Map<string, I2cTarget>;
  ports: Map<number, { rx: number[]; tx: number[]; open: number; baud: number; parity: number; stopBits: number }>;
  addI2cDevice(bus: number, address: number, registers: Uint8Array): void;
  i2cTarget(bus: number, address: number): I2cTarget | undefined;
  queueI2cReads(bus: number, address: number, reg: number, values: Uint8Array, width: number): void;
  port(number: number): { rx: number[]; tx: number[]; open: number; baud: number; parity: number; stopBits: number };
  stepTimers(targetUs: bigint): number;
  stopModule(): void;
}
