// Types of grants.js for TypeScript callers (tests, tools).
import type { MockHost } from "./mock-host.js";

/** An fwx.json `capabilities` object (the shape of src/caps/capabilities.ts). */
export interface Capabilities {
  timers?: number;
  sensors?: string[];
  gpio?: { pin: number; modes: string[] }[];
  adc?: number[];
  pwm?: number[];
  i2c?: { bus: number; address: number }[];
  spi?: { bus: number; cs: number }[];
  uart?: number[];
  telemetry?: string[];
  kv?: number;
}

export function topicAllowed(patterns: readonly string[] | undefined, topic: string): boolean;
/** Why `caps` refuses the call (the device's detail text), or null when it is granted. */
export function refusal(caps: Capabilities, fn: string, args: unknown[]): string | null;
export function guardGrants(host: MockHost): void;
export function manifestGrants(manifest: { capabilities?: unknown }): Capabilities;
