// What every peripheral operation is told about the call it serves.

/**
 * The device time of the call and the module making it. The simulator runs
 * its peripherals on this clock and keeps a noise stream per caller, so a
 * run repeats exactly; a hardware backend reads the real device and may
 * ignore both (they still go to its event log).
 */
export interface HalCall {
  readonly nowUs: bigint;
  readonly caller: string;
}
