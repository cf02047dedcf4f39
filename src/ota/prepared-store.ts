// What the device agent prepared of each slot's payload, kept beside the slot
// (slots/<module>/A.prepared, B.prepared), so a restart starts its modules
// without the preparation worker: no binaryen (some 14 MB) loaded, nothing
// instrumented again. An agent restarted with one module installed took 0.26
// CPU-s to be online, against 0.60 when it prepared the module (2 cores).
//
// Preparing is where fuel metering and the memory cap are put into a module,
// so an entry must not be something the state directory alone can supply:
// whoever can rewrite that directory (its packages are re-verified at every
// boot for this reason) could otherwise hand the agent an unmetered module.
// Each entry is therefore authenticated with HMAC-SHA-256 under a key derived
// from the device's private key, which lives outside the state directory, as
// the anti-rollback store does. An entry that fails the check, is torn by a
// power cut, was made by other preparing code (another fwx, another binaryen),
// or is of another payload or other options is a miss: the payload is
// prepared again, and the entry replaced. An entry is written as every file
// of the state directory is, but nothing depends on it surviving: none of the
// install's crash points is about one.
//
// The key of an entry is prepared-cache.ts's: the payload, the preparation
// options and the preparing code. Its bytes are that cache's entry form.

import { createHmac, hkdfSync, timingSafeEqual, type KeyObject } from "node:crypto";
import { decodePreparedEntry, encodePreparedEntry, preparedKey } from "../agent/prepared-cache.js";
import { preparerIdentity } from "../agent/prepare-pool.js";
import type { PreparedModule, PrepareOptions } from "../agent/refusal.js";
import type { SlotName } from "./state-store.js";

const MAC_BYTES = 32;

/** Where entries are read and written: the state directory (StateStore.readPrepared, writePrepared). */
export interface PreparedFiles {
  readPrepared(module: string, slot: SlotName): Uint8Array | null;
  writePrepared(module: string, slot: SlotName, data: Uint8Array): void;
}

export class PreparedStore {
  private readonly macKey: Buffer;

  /** `deviceKey`: the device's private key, from which the entries' MAC key is derived (never the key itself). */
  constructor(private readonly files: PreparedFiles, deviceKey: KeyObject) {
    const secret = deviceKey.export({ format: "der", type: "pkcs8" });
    this.macKey = Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), "fwx prepared modules v1", MAC_BYTES));
  }

  private mac(module: string, slot: SlotName, body: Uint8Array): Buffer {
    // The entry's place is part of what is authenticated: an entry copied to another module or slot is a miss.
    return createHmac("sha256", this.macKey).update(`${module}\0${slot}\0`).update(body).digest();
  }

  /** The key an entry of `payload` prepared with `options` is kept under. */
  key(payload: Uint8Array, options: PrepareOptions): string {
    return preparedKey(preparerIdentity(), payload, options);
  }

  /** The slot's payload as prepared before, compiled afresh; null on any miss. */
  lookup(module: string, slot: SlotName, key: string, payload: Uint8Array, options: PrepareOptions): PreparedModule | null {
    const data = this.files.readPrepared(module, slot);
    if (data === null || data.length <= MAC_BYTES) return null;
    const body = data.subarray(MAC_BYTES);
    if (!timingSafeEqual(data.subarray(0, MAC_BYTES), this.mac(module, slot, body))) return null;
    return decodePreparedEntry(body, key, payload, options);
  }

  /** Keeps what was prepared of the slot's payload. Best effort: an entry that cannot be written costs the next boot a preparation. */
  keep(module: string, slot: SlotName, key: string, prepared: PreparedModule): void {
    const body = encodePreparedEntry(key, prepared);
    try {
      this.files.writePrepared(module, slot, Buffer.concat([this.mac(module, slot, body), body]));
    } catch {
      // The state directory refusing a write shows in the install's own writes, which are not optional.
    }
  }
}
