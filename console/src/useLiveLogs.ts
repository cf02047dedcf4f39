// A device's log lines pushed by the fleet service (Server-Sent Events on
// /api/devices/<id>/logs/live), merged with the stored tail the device page
// loads: a line appears the moment the service stores it, and a line that
// arrived while the stream was reconnecting still shows from the tail.
import { useEffect, useState } from "react";

export interface LogLine { ts: number; module: string | null; line: string }

const KEEP = 200;

export function useLiveLogs(device: string, stored: LogLine[] | undefined): { lines: LogLine[]; live: boolean } {
  const [pushed, setPushed] = useState<LogLine[]>([]);
  const [live, setLive] = useState(false);
  useEffect(() => {
    setPushed([]);
    const source = new EventSource(`/api/devices/${encodeURIComponent(device)}/logs/live`);
    source.onopen = () => setLive(true);
    source.onerror = () => setLive(false);
    source.addEventListener("log", (e) => {
      const row = JSON.parse((e as MessageEvent<string>).data) as LogLine;
      setPushed((p) => [...p.slice(-(KEEP - 1)), row]);
    });
    return () => source.close();
  }, [device]);
  const seen = new Set<string>();
  const lines = [...(stored ?? []), ...pushed].filter((l) => {
    const key = `${l.ts}\u0000${l.line}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }).sort((a, b) => a.ts - b.ts).slice(-KEEP);
  return { lines, live };
}
