// The agent's event queue on the device clock. Simultaneous work is ordered
// by (time, module order, sequence number), never by insertion accidents or
// wall time, so a run with the same inputs replays the same order every time.

export interface ScheduledTask {
  readonly atUs: bigint;
  /** Position of the owning module in the run (0 = first module given); -1 for agent work. */
  readonly order: number;
  readonly seq: number;
  cancelled: boolean;
  readonly run: () => void;
}

export class Scheduler {
  private heap: ScheduledTask[] = [];
  private seq = 0;

  schedule(atUs: bigint, order: number, run: () => void): ScheduledTask {
    const task: ScheduledTask = { atUs, order, seq: this.seq++, cancelled: false, run };
    this.heap.push(task);
    this.up(this.heap.length - 1);
    return task;
  }

  /** Time of the earliest live task, or null when idle. */
  nextAt(): bigint | null {
    this.dropCancelled();
    return this.heap[0]?.atUs ?? null;
  }

  /** Removes and returns the earliest live task due at or before `nowUs`. */
  popDue(nowUs: bigint): ScheduledTask | null {
    this.dropCancelled();
    const top = this.heap[0];
    if (!top || top.atUs > nowUs) return null;
    this.removeTop();
    return top;
  }

  private dropCancelled(): void {
    while (this.heap[0]?.cancelled) this.removeTop();
  }

  private removeTop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length) {
      this.heap[0] = last;
      this.down(0);
    }
  }

  private less(a: ScheduledTask, b: ScheduledTask): boolean {
    if (a.atUs !== b.atUs) return a.atUs < b.atUs;
    if (a.order !== b.order) return a.order < b.order;
    return a.seq < b.seq;
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/** The device clock. Virtual in simulation; paced against wall time for `--speed 1x`. */
export interface DeviceClock {
  nowUs(): bigint;
  /** Moves the clock forward to `tUs` (never backwards); a paced clock first waits for wall time to catch up. */
  advanceTo(tUs: bigint): Promise<void> | void;
}

export class VirtualClock implements DeviceClock {
  private now = 0n;
  nowUs(): bigint {
    return this.now;
  }
  advanceTo(tUs: bigint): void {
    if (tUs > this.now) this.now = tUs;
  }
}

/**
 * Virtual time paced to wall time: the same event order as VirtualClock (the
 * device still sees the scheduled instants, so a paced run logs exactly what
 * an unpaced one does), but it waits so a person can watch it live.
 */
export class PacedClock implements DeviceClock {
  private now = 0n;
  private readonly startWall = performance.now();
  constructor(private readonly speed = 1) {}
  nowUs(): bigint {
    return this.now;
  }
  async advanceTo(tUs: bigint): Promise<void> {
    if (tUs <= this.now) return;
    const dueWallMs = Number(tUs) / 1000 / this.speed;
    const waitMs = dueWallMs - (performance.now() - this.startWall);
    if (waitMs > 1) await new Promise((r) => setTimeout(r, waitMs));
    this.now = tUs;
  }
}
