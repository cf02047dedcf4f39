// Device statuses as agents publish them, for the store and API tests.
import type { DeviceStatus } from "../../src/ota/protocol.js";

export function status(id: string, o: Partial<DeviceStatus> & { version?: string; sha?: string } = {}): DeviceStatus {
  const version = o.version ?? "1.0.0";
  return {
    device: id, ts: o.ts ?? 1_000, board: o.board ?? "demo-board", agent: "0.1.0", customer: o.customer ?? "acme", group: o.group ?? "line-1",
    busy: null, counter: 0, revocationSerial: 0, cert: "",
    modules: o.modules ?? [{
      id: "com.acme.ticker", active: "A", state: "confirmed", version, sequence: 1, confirmed: "A", installedSeq: 1,
      slots: { A: { version, sequence: 1, sha256: o.sha ?? "aa".repeat(32), size: 100 }, B: { version: "0.9.0", sequence: 0, sha256: "bb".repeat(32), size: 90 } },
      health: { callbacks: 1, faults: 0, restarts: 0, lastFault: null }, config: {},
    }],
    lastInstall: null,
  };
}
