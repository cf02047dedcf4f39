// fwx flash's progress on stderr when it is not a terminal (a CI log, a pipe):
// plain lines, one per phase and at most one a second while transferring,
// always the last one at 100 %, so a log never ends at 0 %.

import { afterEach, describe, expect, it, vi } from "vitest";
import { progressPrinter } from "../../src/ota/progress.js";
import type { FlashProgress } from "../../src/ota/flasher.js";

function capture() {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => { lines.push(s); return true; } } as unknown as NodeJS.WriteStream;
  return { lines, print: progressPrinter(stream) };
}

const at = (acked: number, extra: Partial<FlashProgress> = {}): FlashProgress => ({ mode: "full", phase: "transferring", acked, total: 100_000, rate: 20_000, etaSeconds: (100_000 - acked) / 20_000, ...extra });

describe("flash progress without a terminal", () => {
  afterEach(() => { vi.useRealTimers(); });

  it("prints each phase, a line a second while transferring, and the last line at 100 %", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { lines, print } = capture();
    print({ ...at(0), phase: "connecting", rate: 0, etaSeconds: null });
    for (let ms = 0, acked = 0; acked <= 100_000; ms += 100, acked += 4_000) {
      vi.setSystemTime(1_000_000 + ms);
      print(at(Math.min(acked, 100_000)));
    }
    print(at(100_000));
    print({ ...at(100_000), phase: "installing", step: "trial" });
    print({ ...at(100_000), phase: "done", step: "confirmed" });
    expect(lines.every((l) => l.endsWith("\n") && !l.includes("\r") && !l.includes("\x1b"))).toBe(true);
    const transfer = lines.filter((l) => l.includes("%"));
    expect(transfer[0]).toMatch(/^0 B \/ 97\.7 KiB\s+0%/);
    // 2.5 s of transfer: the first line, then one a second, then 100 % (once).
    expect(transfer.map((l) => /(\d+)%/.exec(l)![1])).toEqual(["0", "40", "80", "100"]);
    expect(lines.slice(-2)).toEqual(["transferred; device: trial\n", "done: confirmed\n"]);
    expect(lines[0]).toBe("connecting…\n");
  });
});
