// The flash progress display on stderr: a redrawn bar on a terminal, plain
// lines (at most one per second and one per phase) otherwise, so logs of CI
// jobs and field laptops stay readable.

import type { FlashProgress } from "./flasher.js";

const kib = (n: number) => (n < 10240 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`);

export function formatEta(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return "--:--";
  const m = Math.floor(s / 60), sec = Math.round(s % 60);
  return `${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
}

export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (p: FlashProgress) => void {
  const tty = stream.isTTY === true;
  let lastLine = 0;
  let lastPhase = "";
  let lastStep = "";
  let lastAcked = -1;
  return (p) => {
    const now = Date.now();
    const phaseChanged = p.phase !== lastPhase || (p.step ?? "") !== lastStep;
    lastPhase = p.phase;
    lastStep = p.step ?? "";
    const pct = p.total ? Math.floor((p.acked / p.total) * 100) : 0;
    const text = p.phase === "transferring"
      ? `${p.mode === "delta" ? "delta " : ""}${kib(p.acked)} / ${kib(p.total)} ${String(pct).padStart(3)}%  ${kib(Math.round(p.rate))}/s  ETA ${formatEta(p.etaSeconds)}`
      : p.phase === "installing" ? `transferred; device: ${p.step ?? "installing"}` : p.phase === "connecting" ? "connecting…" : `done: ${p.step ?? ""}`;
    if (tty) {
      const width = 24;
      const filled = Math.round((pct / 100) * width);
      const bar = p.phase === "transferring" ? `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ` : "";
      stream.write(`\r\x1b[2K${bar}${text}`);
      if (p.phase === "done") stream.write("\n");
    } else if (phaseChanged || now - lastLine >= 1000 || (p.acked === p.total && lastAcked !== p.acked)) {
      if (!phaseChanged && p.phase !== "transferring") return;
      // The end of a transfer once, whatever the second: a log must not end below 100 %.
      if (!phaseChanged && p.acked === lastAcked) return;
      lastLine = now;
      lastAcked = p.acked;
      stream.write(`${text}\n`);
    }
  };
}
