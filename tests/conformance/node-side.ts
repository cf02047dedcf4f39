// Runs conformance rows through the Node agent's real host: the generated
// glue (createHostImports) over the agent's InstanceContext and the host the
// agent assembles for a module on a device (createDeviceHost), on a fresh
// simulated board per row.

import { createHostImports } from "../../src/abi/host.generated.js";
import { LOWERED } from "../../src/agent/abi.js";
import { GuestTrap } from "../../src/agent/faults.js";
import { DeviceClaimRegistry } from "../../src/agent/handles.js";
import { createDeviceHost } from "../../src/agent/host/index.js";
import { KvStore } from "../../src/agent/host/kv.js";
import { TelemetryQueue } from "../../src/agent/host/telemetry.js";
import { InstanceContext } from "../../src/agent/instance.js";
import type { Capabilities } from "../../src/caps/capabilities.js";
import { loadBoard, type Board } from "../../src/sim/board.js";
import { parseTraceCsv } from "../../src/sim/trace.js";
import { layOut, MEMORY_BYTES, type LaidOutCall } from "./layout.js";
import { BOARD, TRACE, type Call, type Row } from "./table.js";

/** What one call did: its status or trap, and the bytes it could write. */
export interface CallResult {
  outcome: string; // "status not-found" | "trap out-of-bounds"
  written: string[]; // hex of each result region
}

export interface RowResult {
  /** Every call of the row in order: other's, setup, then the row's call (last). */
  calls: CallResult[];
}

export function conformanceBoard(): Board {
  return loadBoard(structuredClone(BOARD), { source: "tests/conformance/table.ts", trace: parseTraceCsv(TRACE, "conformance trace") });
}

const statusName = (s: number) => LOWERED.statusCodes.find((c) => c.value === s)?.name ?? `unknown status ${s}`;

class NodeModule {
  readonly memory = new WebAssembly.Memory({ initial: MEMORY_BYTES / 65536, maximum: MEMORY_BYTES / 65536 });
  readonly imports: Record<string, Record<string, (...a: (number | bigint)[]) => number>>;
  readonly handles: number[] = [];

  constructor(id: string, caps: Capabilities, board: Board, claims: DeviceClaimRegistry) {
    const ctx: InstanceContext = new InstanceContext(id, this.memory, {
      caps, config: new Map(), claims, nowUs: () => 0n, emit: () => {}, postEvent: () => {}, fuel: 1_000_000n, watchdogMs: 0,
      createHost: () => { throw new Error("unused"); },
    });
    const host = createDeviceHost(ctx, {
      board,
      core: { lastErrorDetail: () => ctx.lastErrorDetail, minLogLevel: 0, logRate: { perSecond: 10, burst: 10 } },
      timer: { schedule: () => ({ cancel() {} }), deliver: () => {} },
      kv: new KvStore(id, null),
      telemetry: { queue: new TelemetryQueue(8, { accept: () => true }), rate: { perSecond: 10, burst: 10 } },
    });
    this.imports = createHostImports(host, ctx) as unknown as NodeModule["imports"];
  }

  run(call: Call): { laid: LaidOutCall; result: CallResult } {
    const laid = layOut(call, this.handles);
    const mem = new Uint8Array(this.memory.buffer);
    for (const w of laid.writes) mem.set(w.bytes, w.at);
    let outcome: string;
    try {
      outcome = `status ${statusName(this.imports[laid.fn.module]![laid.fn.name]!(...laid.flat))}`;
    } catch (e) {
      if (!(e instanceof GuestTrap)) throw e;
      outcome = `trap ${e.reason === "trap" ? e.detail.split(":")[0] : e.reason}`;
    }
    const written = laid.results.map((r) => Buffer.from(new Uint8Array(this.memory.buffer, r.at, r.len)).toString("hex"));
    // A call's first out-pointer holds the handle a claim/open/find issued.
    const firstOut = laid.results.find((r) => r.len === 8);
    this.handles.push(outcome === "status ok" && firstOut ? new DataView(this.memory.buffer).getUint32(firstOut.at, true) : -1);
    return { laid, result: { outcome, written } };
  }
}

/** Runs a row; `laidOut` receives every call as laid out (the C side replays them). */
export function runRowOnNode(row: Row, laidOut?: (module: "mod" | "other", laid: LaidOutCall) => void): RowResult {
  const board = conformanceBoard();
  const claims = new DeviceClaimRegistry();
  const calls: CallResult[] = [];
  if (row.other) {
    const other = new NodeModule("other", BOARD.grantable, board, claims);
    for (const c of row.other) { const r = other.run(c); laidOut?.("other", r.laid); calls.push(r.result); }
  }
  const mod = new NodeModule("mod", row.grants, board, claims);
  for (const c of [...(row.setup ?? []), row.call]) { const r = mod.run(c); laidOut?.("mod", r.laid); calls.push(r.result); }
  return { calls };
}
