// The maintenance alert's state machine. Raised after `confirmBlocks`
// consecutive blocks at or above the limit (one block can catch a knock on
// the housing), cleared only when velocity drops below limit - hysteresis,
// so a pump running right at the limit does not toggle the LED every block.

export const enum Change {
  None = 0,
  Raised = 1,
  Cleared = 2,
}

export class AlertState {
  active: bool = false;
  /** Consecutive blocks at or above the limit while not active. */
  highBlocks: u32 = 0;

  constructor(readonly limitMmS: f64, readonly hysteresisMmS: f64, readonly confirmBlocks: u32) {}

  update(velocityMmS: f64): Change {
    if (this.active) {
      if (velocityMmS < this.limitMmS - this.hysteresisMmS) {
        this.active = false;
        return Change.Cleared;
      }
      return Change.None;
    }
    if (velocityMmS >= this.limitMmS) {
      this.highBlocks++;
      if (this.highBlocks >= this.confirmBlocks) {
        this.active = true;
        this.highBlocks = 0;
        return Change.Raised;
      }
    } else {
      this.highBlocks = 0;
    }
    return Change.None;
  }
}
