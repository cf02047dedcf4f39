// One delta per base package, computed once: a rollout to a thousand devices
// that run the same version diffs that version once, and the result is kept
// in the fleet database so a restarted service does not diff it again.

import type { Kysely } from "kysely";
import { encodeDelta } from "../ota/delta.js";
import { sha256Hex } from "../ota/state-store.js";
import type { FleetSchema } from "./db/schema.js";

export class DeltaStore {
  private readonly computing = new Map<string, Promise<Uint8Array>>();
  /** Deltas computed by this process (the rest came from the database). */
  computed = 0;

  constructor(private readonly db: Kysely<FleetSchema>) {}

  /** The delta from `base` (SHA-256 `baseSha`) to `target`. */
  get(baseSha: string, base: Uint8Array, target: Uint8Array): Promise<Uint8Array> {
    const targetSha = sha256Hex(target);
    const key = `${baseSha}>${targetSha}`;
    let p = this.computing.get(key);
    if (!p) {
      p = this.load(baseSha, base, target, targetSha);
      this.computing.set(key, p);
      p.catch(() => this.computing.delete(key));
    }
    return p;
  }

  /**
   * Resolves when no delta is being computed or stored. The service waits for this before it closes
   * the database: a flash stopped mid-way leaves its delta's insert running, and a delta whose insert
   * failed on a closed database would be computed again after the restart.
   */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.computing.values()]);
  }

  private async load(baseSha: string, base: Uint8Array, target: Uint8Array, targetSha: string): Promise<Uint8Array> {
    const row = await this.db.selectFrom("deltas").select("delta").where("base_sha256", "=", baseSha).where("target_sha256", "=", targetSha).executeTakeFirst();
    if (row) return new Uint8Array(row.delta);
    const delta = encodeDelta(base, target);
    this.computed++;
    await this.db.insertInto("deltas").values({ base_sha256: baseSha, target_sha256: targetSha, delta, created_at: Date.now() })
      .onConflict((oc) => oc.columns(["base_sha256", "target_sha256"]).doNothing()).execute();
    return delta;
  }
}
