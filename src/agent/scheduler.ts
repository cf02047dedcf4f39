// The agent's event queue on the device clock. Simultaneous work is ordered
// by (time, module order, sequence number), never by insertion accidents or
// wall time, so a run with the same inputs replays the same order every time.
//
// Cancelled tasks leave the heap at once when they are on top and otherwise
// are counted; once they make up half the heap it is compacted. A module that
// restarts one timer in a loop (each restart cancels the previous expiry)
// therefore holds at most about twice its live tasks in host memory, instead
// of one entry per restart until each would have come due (up to 49 days).

export interface ScheduledTask {
  readonly atUs: bigint;
  /** Position of the owning module in the run (0 = first module given); -1 for agent work. */
  readonly order: number;
  readonly seq: number;
  /** Set only through Scheduler.cancel, which keeps the heap's count of cancelled tasks. */
  readonly cancelled: boolean;
  readonly run: () => void;
}

type MutableTask = { -readonly [K in keyof ScheduledTask]: ScheduledTask[K] };

/** Below this many entries compaction is not worth its pass over the heap. */
const COMPACT_MIN_ENTRIES = 64;

export class Scheduler {
  private heap: ScheduledTask[] = [];
  private seq = 0;
  /** Cancelled tasks still in the heap. */
  private cancelledInHeap = 0;
  /** Tasks popped or dropped, so cancelling one of them is a no-op. */
  private readonly gone = new WeakSet<ScheduledTask>();

  /** Entries held, live and cancelled: the host memory the queue costs. */
  get size(): number {
    return this.heap.length;
  }

  /** Drops `task` so it never runs. Idempotent; a task that already ran or was dropped is left alone. */
  cancel(task: ScheduledTask): void {
    if (task.cancelled) return;
    (task as MutableTask).cancelled = true;
    if (this.gone.has(task)) return;
    this.cancelledInHeap++;
    this.dropCancelled();
    if (this.heap.length >= COMPACT_MIN_ENTRIES && this.cancelledInHeap * 2 >= this.heap.length) this.compact();
  }

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
    while (this.heap[0]?.cancelled) {
      this.cancelledInHeap--;
      this.removeTop();
    }
  }

  /** Removes every cancelled task and rebuilds the heap bottom-up: O(n), and the order of what stays is unchanged. */
  private compact(): void {
    this.heap = this.heap.filter((t) => !t.cancelled);
    this.cancelledInHeap = 0;
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private removeTop(): void {
    this.gone.add(this.heap[0]!);
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
  /** True for wall time: the clock moves on its own, and a wait may end early (see wake). */
  readonly realTime?: boolean;
  /** Ends a wait in advanceTo early: work was scheduled meanwhile (a real device's event). */
  wake?(): void;
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

/**
 * Wall time since the run started, for a run that drives real hardware: a
 * real device answers when it answers, so its time cannot be simulated ahead
 * of the wall clock, and its events (UART bytes) arrive between scheduled
 * instants. advanceTo sleeps until `tUs` or until wake() (the supervisor
 * scheduled work for such an event), whichever comes first; the caller then
 * finds nowUs() short of `tUs` and looks again for what is due.
 */
export class RealTimeClock implements DeviceClock {
  readonly realTime = true;
  private readonly startWall = performance.now();
  private wakeUp: (() => void) | null = null;
  nowUs(): bigint {
    return BigInt(Math.floor((performance.now() - this.startWall) * 1000));
  }
  advanceTo(tUs: bigint): Promise<void> | void {
    const waitMs = Number(tUs - this.nowUs()) / 1000;
    if (waitMs <= 0) return;
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      // A Node timer is measured from the event loop's cached time, which lags
      // when the loop was busy, so it can fire a little before performance.now()
      // reaches the instant (seen: 0.13 ms early under load). Sleep again for
      // what is left rather than return short of `tUs` without a wake().
      const sleep = () => {
        const leftMs = Number(tUs - this.nowUs()) / 1000;
        if (leftMs <= 0) done();
        else timer = setTimeout(sleep, Math.min(Math.ceil(leftMs), 2 ** 31 - 1));
      };
      this.wakeUp = done;
      sleep();
    });
  }
  wake(): void {
    this.wakeUp?.();
  }
}
