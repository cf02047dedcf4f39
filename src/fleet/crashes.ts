// Crash reports in the fleet database, and the debug maps that name them.
//
// A device's fault reaches the fleet as a log line (kind "fault"): reason,
// callback, the module's SHA-256 and each frame as a function index and an
// offset into the module as shipped; the device knows no names or lines.
// The fleet keeps those positions as sent and names them when they are read,
// through the debug map uploaded for that exact module (`fwx rollout create`
// sends the .fwxmap.json fwx build keeps beside the package; `fwx rollout
// map` sends one on its own), with the same symbolizer `fwx logs` and
// `fwx run` use (src/agent/faults.ts). A map uploaded after the crash still
// names it.

import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { faultLocation, formatFrames, parseFrameRefs, withAbortSite } from "../agent/faults.js";
import { DebugMapError, formatLocation, parseDebugMap, type DebugMap } from "../build/debug-map.js";
import type { CrashView } from "./crash-view.js";
import type { FleetSchema } from "./db/schema.js";

export type { CrashView };

/** Crash reports kept per device; older ones are pruned. */
export const CRASHES_PER_DEVICE = 50;


export interface DebugMapSummary {
  wasmSha256: string;
  module: string | null;
  version: string | null;
  createdAt: number;
}

/** What a fault log line must carry to be stored: the module, and a reason. */
export interface FaultLine { ts?: unknown; module?: unknown; kind?: unknown; reason?: unknown; detail?: unknown; callback?: unknown; wasmSha256?: unknown; frames?: unknown }

const text = (v: unknown): string | null => (typeof v === "string" ? v : null);
const SHA256_HEX = /^[0-9a-f]{64}$/;

export class CrashStore {
  private readonly sincePrune = new Map<string, number>();

  constructor(readonly db: Kysely<FleetSchema>) {}

  /** Stores a debug map (replacing one of the same module hash); `json` is the .fwxmap.json text, checked first (DebugMapError naming `where`). */
  async addDebugMap(json: string, where: string): Promise<DebugMapSummary> {
    const map = parseDebugMap(json, where);
    if (!SHA256_HEX.test(map.wasmSha256)) throw new DebugMapError(`${where}: wasmSha256 is not a SHA-256 in hex`);
    const row = { module_id: map.module?.id ?? null, version: map.module?.version ?? null, map_json: JSON.stringify(map), created_at: Date.now() };
    await this.db.insertInto("debug_maps").values({ wasm_sha256: map.wasmSha256, ...row })
      .onConflict((oc) => oc.column("wasm_sha256").doUpdateSet(row)).execute();
    return { wasmSha256: map.wasmSha256, module: row.module_id, version: row.version, createdAt: row.created_at };
  }

  async debugMaps(): Promise<DebugMapSummary[]> {
    const rows = await this.db.selectFrom("debug_maps").select(["wasm_sha256", "module_id", "version", "created_at"]).orderBy("created_at", "desc").execute();
    return rows.map((r) => ({ wasmSha256: r.wasm_sha256, module: r.module_id, version: r.version, createdAt: Number(r.created_at) }));
  }

  /** Stores `line` if it is a fault line (the device's JSON log line, parsed); returns whether it was one. */
  async recordFault(device: string, line: FaultLine): Promise<boolean> {
    if (line.kind !== "fault" || typeof line.module !== "string" || typeof line.reason !== "string") return false;
    const sha = text(line.wasmSha256);
    await this.db.insertInto("crash_reports").values({
      id: randomUUID(), device_id: device, module_id: line.module, ts: typeof line.ts === "number" ? line.ts : Date.now(),
      reason: line.reason, detail: text(line.detail), callback: text(line.callback), wasm_sha256: sha && SHA256_HEX.test(sha) ? sha : null,
      frames_json: JSON.stringify(parseFrameRefs(line.frames).map(({ funcName: _, ...f }) => f)),
    }).execute();
    const n = (this.sincePrune.get(device) ?? 0) + 1;
    this.sincePrune.set(device, n);
    if (n >= 10) await this.prune(device);
    return true;
  }

  /** Deletes all but the newest CRASHES_PER_DEVICE reports of `device`. */
  async prune(device: string): Promise<void> {
    this.sincePrune.set(device, 0);
    const keep = await this.db.selectFrom("crash_reports").select("ts").where("device_id", "=", device).orderBy("ts", "desc").offset(CRASHES_PER_DEVICE - 1).limit(1).executeTakeFirst();
    if (keep) await this.db.deleteFrom("crash_reports").where("device_id", "=", device).where("ts", "<", keep.ts).execute();
  }

  /** The newest crash reports of `device`, newest first, each named through its module's debug map when there is one. */
  async crashes(device: string, limit = 20): Promise<CrashView[]> {
    const rows = await this.db.selectFrom("crash_reports").selectAll().where("device_id", "=", device).orderBy("ts", "desc").limit(limit).execute();
    const shas = [...new Set(rows.map((r) => r.wasm_sha256).filter((s): s is string => s !== null))];
    const maps = new Map<string, DebugMap>();
    if (shas.length) {
      for (const m of await this.db.selectFrom("debug_maps").select(["wasm_sha256", "map_json"]).where("wasm_sha256", "in", shas).execute()) {
        maps.set(m.wasm_sha256, parseDebugMap(m.map_json, `debug map ${m.wasm_sha256}`));
      }
    }
    return rows.map((r) => {
      const frames = parseFrameRefs(JSON.parse(r.frames_json));
      const map = r.wasm_sha256 ? maps.get(r.wasm_sha256) ?? null : null;
      const loc = faultLocation(frames, map);
      return {
        // An abort the compiler made carries only its site id; the map names the message and where it is.
        ts: Number(r.ts), module: r.module_id, reason: r.reason, detail: r.reason === "abort" && r.detail !== null ? withAbortSite(r.detail, map) : r.detail, callback: r.callback, wasmSha256: r.wasm_sha256,
        at: loc ? formatLocation(loc.at) : null, function: loc?.name ?? null, mapped: map !== null,
        // The console says itself which map is missing; the CLI's --map hint does not apply there.
        stack: frames.length ? formatFrames(frames, map, { mapHint: false }) : [],
      };
    });
  }
}
