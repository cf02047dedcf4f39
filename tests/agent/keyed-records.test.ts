// Keyed stores that are persisted as JSON objects keep every key a module or
// an operator can choose, `__proto__` and Object.prototype's names included,
// across a restart (a store reopened from its file).

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createKvHost, KvStore } from "../../src/agent/host/kv.js";
import { Status } from "../../src/abi/host.generated.js";
import { checkConfigValues, effectiveConfig } from "../../src/ota/config-values.js";
import { StateStore, type DeviceState } from "../../src/ota/state-store.js";

const PROTO_NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"];
const dirs: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), "fwx-keyed-")); dirs.push(d); return d; };
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe("kv keys that are Object property names", () => {
  it("survive a restart with their values, and count towards the quota exactly once", () => {
    const dir = tempDir();
    const kv = new KvStore("m", dir);
    PROTO_NAMES.forEach((k, i) => kv.set(k, Uint8Array.of(i + 1, 0xaa)));
    kv.set("plain", Uint8Array.of(9));
    const usedBefore = kv.used;

    const reopened = new KvStore("m", dir);
    PROTO_NAMES.forEach((k, i) => expect([...(reopened.get(k) ?? [])], k).toEqual([i + 1, 0xaa]));
    expect([...reopened.get("plain")!]).toEqual([9]);
    expect(reopened.used).toBe(usedBefore);
    expect(reopened.delete("__proto__")).toBe(true);
    expect(new KvStore("m", dir).get("__proto__")).toBeUndefined();
    expect(new KvStore("m", dir).get("constructor")).toBeDefined();
  });

  it("a key that was never set reads as absent, whatever its name", () => {
    const kv = new KvStore("m", tempDir());
    for (const k of PROTO_NAMES) expect(kv.get(k), k).toBeUndefined();
  });

  it("a store file written with a `__proto__` entry loads it as an entry", () => {
    const dir = tempDir();
    new KvStore("m", dir).set("x", Uint8Array.of(1));
    const file = join(dir, "kv", "m.json");
    writeFileSync(file, readFileSync(file, "utf8").replace('"x"', '"__proto__"'));
    expect([...new KvStore("m", dir).get("__proto__")!]).toEqual([1]);
  });
});

describe("device state and config values", () => {
  it("a config field named like an Object property gets its default, not Object.prototype's value", () => {
    const fields = [{ name: "constructor", type: "string" as const, default: "c" }, { name: "valueof", type: "integer" as const }];
    expect([...effectiveConfig(fields, {})]).toEqual([["constructor", "c"]]);
    expect([...effectiveConfig(fields, checkConfigValues("m", fields, { constructor: "set" }))]).toEqual([["constructor", "set"]]);
  });

  it("module records and config keys named like Object properties survive a save and load", () => {
    const dir = tempDir();
    const store = new StateStore(dir, null);
    const state = store.load();
    const rec = { slots: { A: null, B: null }, confirmed: null, trial: null, installedSeq: 0, config: { ...JSON.parse('{"__proto__":"p"}'), constructor: "c" } };
    state.modules["__proto__"] = rec as DeviceState["modules"][string];
    expect(Object.getPrototypeOf(state.modules)).toBeNull();
    store.save(state, "state");
    const loaded = store.load();
    expect(Object.keys(loaded.modules)).toEqual(["__proto__"]);
    expect(loaded.modules["__proto__"]!.config["__proto__"]).toBe("p");
    expect(loaded.modules["__proto__"]!.config["constructor"]).toBe("c");
    expect(loaded.modules["toString"]).toBeUndefined();
    expect(loaded.modules["__proto__"]!.config["toString"]).toBeUndefined();
  });
});

describe("a kv store that cannot be written (disk full, I/O error)", () => {
  it("answers kv.set and kv.delete no-space, as the C device does, and keeps the old value in memory and on disk", () => {
    const dir = tempDir();
    const store = new KvStore("m", dir);
    store.set("a", Uint8Array.of(1));
    let detail = "";
    const ctx = { caps: { kv: 1024 }, fail: (status: number, message: string) => { detail = message; return status; } } as unknown as Parameters<typeof createKvHost>[0];
    const kv = createKvHost(ctx, store);
    // The store's file becomes a directory: replacing it fails with EISDIR, as a full disk fails with ENOSPC.
    const file = join(dir, "kv", "m.json");
    rmSync(file);
    mkdirSync(file);
    // Before the fix the error was thrown out of the host call: the module faulted ("host-error"), and the new
    // value stayed in memory although the file never got it.
    expect(kv.set("a", Uint8Array.of(2))).toBe(Status.noSpace);
    expect(detail).toMatch(/^kv\.set: .*kv\/m\.json: cannot be written: .*; the old value is kept$/);
    expect([...store.get("a")!]).toEqual([1]);
    expect(kv.set("b", Uint8Array.of(3))).toBe(Status.noSpace);
    expect(store.get("b")).toBeUndefined();
    expect(store.used).toBe(2);
    expect(kv.delete("a")).toBe(Status.noSpace);
    expect([...store.get("a")!]).toEqual([1]);
    rmSync(file, { recursive: true });
    expect(kv.set("a", Uint8Array.of(4))).toBe(Status.ok);
    expect([...new KvStore("m", dir).get("a")!]).toEqual([4]);
  });
});
