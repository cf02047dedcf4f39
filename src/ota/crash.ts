// Crash injection for power-loss tests. Every state transition and every
// durable write of the install path calls crashPoint(name); when the
// environment (or the agent options) names that point, the process dies on
// the spot with SIGKILL: no finally blocks, no flushing, no graceful MQTT
// disconnect. A killed process keeps the page cache, so these tests cannot
// tell a missing fsync; tests/ota/power-cut.test.ts cuts the power at the
// same points (and at every file operation) on a simulated disk that loses
// whatever was not fsynced (src/fs/power-cut.ts).
//
// FWX_CRASH_AT=<point>      dies the first time <point> is reached
// FWX_CRASH_AT=<point>#<n>  dies the n-th time (chunk writes happen many times)

export const CRASH_POINTS = [
  // Transfer: bytes written to the partial file, then its metadata, then the ack.
  "chunk-written",
  "partial-meta:temp-written",
  "partial-meta:renamed",
  "ack-persisted",
  // All bytes received; before hashing, delta reconstruction and verification.
  "transfer-complete",
  "package-verified",
  // The inactive slot: temp file written and fsynced, then renamed into place.
  "slot:temp-written",
  "slot:renamed",
  "slot-written",
  // device.json switches the module to trial.
  "trial-state:temp-written",
  "trial-state:renamed",
  "trial-committed",
  "trial-started",
  // Health window passed: device.json makes the trial slot the confirmed one.
  "health-passed",
  "confirm-state:temp-written",
  "confirm-state:renamed",
  "confirmed",
  // Health window failed: device.json drops the trial.
  "revert-decided",
  "revert-state:temp-written",
  "revert-state:renamed",
  "reverted",
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export type CrashHook = (point: CrashPoint) => void;

/** Parses FWX_CRASH_AT; null when unset. Throws on a name that is not a crash point. */
export function crashHookFromSpec(spec: string | undefined, die: () => never = () => process.kill(process.pid, "SIGKILL") as never): CrashHook | null {
  if (!spec) return null;
  const [name, nth] = spec.split("#");
  if (!(CRASH_POINTS as readonly string[]).includes(name!)) {
    throw new Error(`FWX_CRASH_AT=${spec}: "${name}" is not a crash point (one of: ${CRASH_POINTS.join(", ")})`);
  }
  const target = nth === undefined ? 1 : Number(nth);
  if (!Number.isInteger(target) || target < 1) throw new Error(`FWX_CRASH_AT=${spec}: "#${nth}" must be a positive count`);
  let seen = 0;
  return (point) => {
    if (point !== name) return;
    if (++seen === target) {
      process.stderr.write(`fwx agent: crash injected at ${point}${target > 1 ? ` (#${target})` : ""}\n`);
      die();
    }
  };
}
