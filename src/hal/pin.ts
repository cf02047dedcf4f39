// A GPIO pin (embedded-hal's InputPin / OutputPin / StatefulOutputPin, plus
// edge events as the Linux GPIO character device delivers them).

import type { HalCall } from "./call.js";
import type { ClaimRefusal } from "./errors.js";

export type PinMode = "input" | "input-pull-up" | "input-pull-down" | "output" | "output-open-drain";

/** An edge: the new level and when it happened on the device clock. Called outside any module callback. */
export type EdgeListener = (level: boolean, atUs: bigint) => void;

export interface Pin {
  /** Connector pin number as in the board profile. */
  readonly number: number;
  readonly name: string;
  /** Modes the hardware can put the pin in. */
  readonly modes: readonly PinMode[];
  /** The mode while configured; null when released (a floating input). */
  readonly mode: PinMode | null;
  readonly isOutput: boolean;
  /**
   * Puts the pin in `mode` (push-pull outputs start low, open-drain outputs
   * released), or with null releases it (outputs return to input, watching
   * stops). The caller has checked `modes`; the hardware may still refuse
   * (`busy`: held outside fwx).
   */
  configure(mode: PinMode | null, at: HalCall): ClaimRefusal;
  /** The level on the pin; on an output, the level it drives. */
  level(at: HalCall): boolean;
  /** Drives an output. */
  write(level: boolean): void;
  /** The level last written to an output (no hardware read). */
  readonly writtenLevel: boolean;
  /** Reports every edge after `at` to `listener` (null stops). Edges arrive asynchronously. */
  watch(listener: EdgeListener | null, at: HalCall): void;
}
