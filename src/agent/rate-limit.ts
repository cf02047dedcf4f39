// A token bucket on the device clock. In simulation the clock is virtual, so
// rate limiting is as deterministic as everything else in a run.

export class TokenBucket {
  private tokens: number;
  private lastUs: bigint | null = null;

  /** `perSecond` tokens are added per second of device time, up to `burst`. */
  constructor(readonly perSecond: number, readonly burst: number) {
    this.tokens = burst;
  }

  /** Whether a token is there at `nowUs`, without taking it (take() at the same instant then succeeds). */
  ready(nowUs: bigint): boolean {
    if (this.lastUs !== null && nowUs > this.lastUs) {
      this.tokens = Math.min(this.burst, this.tokens + (Number(nowUs - this.lastUs) / 1e6) * this.perSecond);
    }
    this.lastUs = nowUs;
    return this.tokens >= 1;
  }

  take(nowUs: bigint): boolean {
    if (!this.ready(nowUs)) return false;
    this.tokens -= 1;
    return true;
  }
}
