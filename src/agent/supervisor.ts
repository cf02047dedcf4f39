// Restart policy for faulted modules: exponential backoff on the device
// clock, and quarantine once a module faults too often within a window.

export interface RestartPolicy {
  /** Delay before the first restart. */
  backoffBaseMs: number;
  /** Each further fault in the window multiplies the delay by this. */
  backoffFactor: number;
  backoffMaxMs: number;
  /** This many faults within `windowMs` quarantine the module (no more restarts). */
  quarantineAfter: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  backoffBaseMs: 1000,
  backoffFactor: 2,
  backoffMaxMs: 60_000,
  quarantineAfter: 5,
  windowMs: 10 * 60_000,
};

export type RestartDecision = { action: "restart"; afterUs: bigint; faultsInWindow: number } | { action: "quarantine"; faultsInWindow: number };

export class FaultHistory {
  private readonly times: bigint[] = [];
  constructor(private readonly policy: RestartPolicy) {}

  /** Records a fault at `nowUs` and says what to do about it. */
  onFault(nowUs: bigint): RestartDecision {
    const windowUs = BigInt(this.policy.windowMs) * 1000n;
    this.times.push(nowUs);
    while (this.times.length && this.times[0]! <= nowUs - windowUs) this.times.shift();
    const n = this.times.length;
    if (n >= this.policy.quarantineAfter) return { action: "quarantine", faultsInWindow: n };
    const ms = Math.min(this.policy.backoffMaxMs, this.policy.backoffBaseMs * this.policy.backoffFactor ** (n - 1));
    return { action: "restart", afterUs: BigInt(Math.round(ms * 1000)), faultsInWindow: n };
  }
}
