// Types of mock-host.js for TypeScript callers (tests, tools).
import type { SimDevice } from "./sim-device.js";
import type { Capabilities } from "./grants.js";

export class MockTrap extends Error {}

export interface MockCall {
  fn: string;
  args: Record<string, number | bigint>;
  status: number | bigint | undefined;
  detail: string | undefined;
}

export class MockHost {
  /** `grants`: fwx.json's capabilities, enforced as on a device (grants.js); null or absent grants everything. */
  constructor(options?: { configDefaults?: Record<string, string>; grants?: Capabilities | null });
  grants: Capabilities | null;
  readonly sim: SimDevice;
  calls: MockCall[];
  /** Heap allocations since instantiation, or null without ASC_RTRACE. */
  allocations: number | null;
  traceAllocations(imports: Record<string, Record<string, unknown>>): void;
  configDefaults: Record<string, string>;
  reset(): void;
  attach(memory: WebAssembly.Memory, exports?: WebAssembly.Exports): void;
  callCount(fn: string): number;
  failNext(fn: string, status: number): void;
  failAlways(fn: string, status: number): void;
  imports(): Record<string, Record<string, (...args: never[]) => unknown>>;
}

export function statusName(value: number): string;
export const STATUS: Readonly<Record<string, number>>;
export const FUNCTIONS: Readonly<Record<string, { module: string; name: string; statuses: string[] }>>;
