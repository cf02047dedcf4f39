// The trust model end to end (docs/ota-protocol.md, "Trust model"), tried as
// an attacker with broker access and no key would: unsigned and replayed
// commands, operators out of scope, forged acks and verdicts, replayed old
// verdicts, a squatter on the transfer slot, the anti-rollback floor after
// remove, revocation lists delivered to the device.

import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../../src/ota/broker.js";
import { flash, type FlashOptions } from "../../src/ota/flasher.js";
import { LinkSimulator } from "../../src/ota/link-sim.js";
import { PackageCache } from "../../src/ota/package-cache.js";
import { encodeChunk, encodeAck, topicsFor, type InstallEvent } from "../../src/ota/protocol.js";
import { provisionDevice, provisionOperator } from "../../src/ota/provision.js";
import { DeviceRefused, DeviceUnreachable, ToolConnection, type OperatorAuth } from "../../src/ota/rpc.js";
import { openCommand, signStatement } from "../../src/ota/signed-command.js";
import { RevocationsRolledBack } from "../../src/ota/op-guard.js";
import { startSimDevice } from "../../src/ota/sim-device.js";
import type { TimelineEntry } from "../../src/ota/device-agent.js";
import { sha256Hex } from "../../src/ota/state-store.js";
import { certificateDigest, generateKeyPair, signRevocationList } from "../../src/pkg/index.js";
import { openEnvelopeBytes } from "../../src/pkg/signed.js";
import { CUSTOMER, FAST_HEALTH, GROUP, MODULE, makePackage, makeTrust, tempDir, tickerWasm } from "./fixtures.js";

describe("trust model: signed operations and device-signed answers", () => {
  let broker: RunningBroker;
  const trust = makeTrust();
  const work = tempDir("trust");
  let n = 0;
  beforeAll(async () => { broker = await startBroker(); });
  afterAll(async () => {
    await broker.close();
    work.cleanup();
  });

  async function device(opts: { staleMs?: number; stateDir?: string; id?: string; revocations?: Uint8Array; timeline?: TimelineEntry[] } = {}) {
    const id = opts.id ?? `trust-dev-${++n}`;
    const stateDir = opts.stateDir ?? join(work.path, id);
    const agent = await startSimDevice({
      deviceId: id, brokerUrl: broker.url, stateDir, rootPublicKey: trust.rootPub, ...trust.identity(id), customer: CUSTOMER, group: GROUP, health: FAST_HEALTH,
      ...(opts.staleMs ? { receiver: { staleMs: opts.staleMs } } : {}),
      ...(opts.revocations ? { revocations: opts.revocations } : {}),
      ...(opts.timeline ? { onTimeline: (e: TimelineEntry) => void opts.timeline!.push(e) } : {}),
    });
    const f = (pkg: Uint8Array, extra: Partial<FlashOptions> = {}) => flash({ brokerUrl: broker.url, device: id, pkg, cache: null, auth: trust.auth, connectTimeoutMs: 10_000, replyTimeoutMs: 10_000, ...extra });
    const mod = () => agent.status().modules.find((m) => m.id === MODULE);
    const stateFile = () => readFileSync(join(stateDir, "device.json"), "utf8");
    return { id, stateDir, agent, flash: f, mod, stateFile, stop: () => agent.stop() };
  }

  /** A raw MQTT client: the attacker with broker access and no key. */
  async function attacker() {
    const c = await mqtt.connectAsync(broker.url, { clientId: `mallory-${++n}`, clean: true });
    const seen: { topic: string; payload: Buffer }[] = [];
    c.on("message", (topic, payload) => seen.push({ topic, payload }));
    return { c, seen, close: () => c.endAsync(true) };
  }

  /** Sends a raw command payload and waits for the JSON reply to `req` on `reply/<from>`. */
  async function rawCommand(deviceId: string, payload: Buffer | Uint8Array, from: string, req: string) {
    const m = await attacker();
    try {
      await m.c.subscribeAsync(topicsFor(deviceId).reply(from), { qos: 1 });
      await m.c.publishAsync(topicsFor(deviceId).cmd, Buffer.from(payload), { qos: 1 });
      for (let i = 0; i < 100; i++) {
        const r = m.seen.find((s) => s.topic.endsWith(`/reply/${from}`));
        if (r) {
          const reply = JSON.parse(r.payload.toString()) as { req: string; ok: boolean; code?: string; message?: string };
          expect(reply.req).toBe(req);
          return reply;
        }
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`no reply to ${req} from ${deviceId}`);
    } finally {
      await m.close();
    }
  }

  const v1 = makePackage(trust, { version: "1.0.0", sequence: 1 });
  const v2 = makePackage(trust, { version: "2.0.0", sequence: 2, wasm: tickerWasm({ message: "tock" }) });

  it("refuses unsigned rollback, remove, config and begin with reason \"unsigned\" and changes nothing", async () => {
    const d = await device();
    try {
      expect((await d.flash(v1)).verdict).toBe("confirmed");
      expect((await d.flash(v2)).verdict).toBe("confirmed");
      const before = d.stateFile();
      const cmds = [
        { op: "rollback", module: MODULE }, { op: "remove", module: MODULE },
        { op: "config", module: MODULE, values: { threshold: "29" } },
        { op: "begin", session: 7, window: 4, package: { module: MODULE, version: "9.0.0", sequence: 9, size: 10, sha256: "a".repeat(64) } },
        { op: "abort", session: 7 },
      ];
      for (const [i, body] of cmds.entries()) {
        const r = await rawCommand(d.id, Buffer.from(JSON.stringify({ ...body, req: `u${i}`, from: "mallory" })), "mallory", `u${i}`);
        expect(r).toMatchObject({ ok: false, code: "unsigned" });
      }
      expect(d.stateFile()).toBe(before);
      expect(d.mod()).toMatchObject({ state: "confirmed", version: "2.0.0", config: { threshold: "8" } });
      expect(d.agent.status().busy).toBeNull();
    } finally {
      await d.stop();
    }
  });

  it("refuses a replayed signed command, also after the agent restarted", async () => {
    const d = await device();
    const conn = await ToolConnection.open({ brokerUrl: broker.url });
    const spy = await attacker();
    try {
      expect((await d.flash(v1)).verdict).toBe("confirmed");
      expect((await d.flash(v2)).verdict).toBe("confirmed");
      await spy.c.subscribeAsync(topicsFor(d.id).cmd, { qos: 1 });
      const rb = await conn.signedRequest(d.id, { op: "rollback", module: MODULE }, trust.auth);
      expect(rb.statement?.outcome).toBe("rolled-back");
      expect(d.mod()?.version).toBe("1.0.0");
      // The attacker captured the signed rollback: sent again, it is refused and rolls nothing.
      const captured = spy.seen.find((s) => openCommand(s.payload)?.body.op === "rollback")!.payload;
      const body = openCommand(captured)!.body;
      const again = await rawCommand(d.id, captured, body.from, body.req);
      expect(again).toMatchObject({ ok: false, code: "replayed" });
      expect(d.mod()).toMatchObject({ version: "1.0.0", confirmed: "A" });
      // The counter survives a restart (durably recorded before the command ran).
      await d.stop();
      const d2 = await device({ id: d.id, stateDir: d.stateDir });
      try {
        expect(await rawCommand(d.id, captured, body.from, body.req)).toMatchObject({ ok: false, code: "replayed" });
        expect(d2.mod()).toMatchObject({ version: "1.0.0", confirmed: "A" });
        // A fresh signed command still goes through.
        expect((await conn.signedRequest(d.id, { op: "rollback", module: MODULE }, trust.auth)).statement?.outcome).toBe("rolled-back");
      } finally {
        await d2.stop();
      }
    } finally {
      await spy.close();
      await conn.close();
    }
  });

  it("restoring an older copy of the whole state directory makes no captured command new again (the counter is outside it)", async () => {
    const d = await device();
    const conn = await ToolConnection.open({ brokerUrl: broker.url });
    const spy = await attacker();
    const copy = `${d.stateDir}.copy`;
    try {
      expect((await d.flash(v1)).verdict).toBe("confirmed");
      expect((await d.flash(v2)).verdict).toBe("confirmed");
      await d.stop();
      cpSync(d.stateDir, copy, { recursive: true });
      const d1 = await device({ id: d.id, stateDir: d.stateDir });
      await spy.c.subscribeAsync(topicsFor(d.id).cmd, { qos: 1 });
      try {
        expect((await conn.signedRequest(d.id, { op: "rollback", module: MODULE }, trust.auth)).statement?.outcome).toBe("rolled-back");
      } finally {
        await d1.stop();
      }
      const captured = spy.seen.find((s) => openCommand(s.payload)?.body.op === "rollback")!.payload;
      const body = openCommand(captured)!.body;
      // Whoever can write the state directory puts back the copy taken before the rollback, and replays it.
      rmSync(d.stateDir, { recursive: true });
      cpSync(copy, d.stateDir, { recursive: true });
      const d2 = await device({ id: d.id, stateDir: d.stateDir });
      try {
        expect(d2.mod()).toMatchObject({ version: "2.0.0" });
        expect(await rawCommand(d.id, captured, body.from, body.req)).toMatchObject({ ok: false, code: "replayed" });
        expect(d2.mod()).toMatchObject({ version: "2.0.0" });
      } finally {
        await d2.stop();
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
      await spy.close();
      await conn.close();
    }
  });

  it("an agent started on an older copy of its whole state directory runs nothing older than its floor, and says why", async () => {
    const d = await device();
    const copy = `${d.stateDir}.copy`;
    const v3 = makePackage(trust, { version: "3.0.0", sequence: 3, wasm: tickerWasm({ message: "tack" }) });
    try {
      expect((await d.flash(v1)).verdict).toBe("confirmed");
      await d.stop();
      cpSync(d.stateDir, copy, { recursive: true });
      const d1 = await device({ id: d.id, stateDir: d.stateDir });
      try {
        expect((await d1.flash(v2)).verdict).toBe("confirmed");
        expect((await d1.flash(v3)).verdict).toBe("confirmed");
      } finally {
        await d1.stop();
      }
      rmSync(d.stateDir, { recursive: true });
      cpSync(copy, d.stateDir, { recursive: true });
      const timeline: TimelineEntry[] = [];
      const d2 = await device({ id: d.id, stateDir: d.stateDir, timeline });
      try {
        expect(d2.mod()).toMatchObject({ state: "stopped", version: null });
        const failed = timeline.flatMap((e) => (e.kind === "install" && e.event.phase === "failed" ? [e.event.reason] : []));
        expect(failed).toEqual([expect.stringMatching(/slot A holds com\.acme\.ticker sequence 1, below the anti-rollback floor 2 kept in file .*\.anti-rollback\.json/)]);
        // The tool finds it out the proven way: v1 is refused, v3 installs.
        const r = await d2.flash(v1);
        expect([r.verdict, r.code]).toEqual(["refused", "FWX_PKG_E_ROLLBACK"]);
        expect((await d2.flash(v3)).verdict).toBe("confirmed");
      } finally {
        await d2.stop();
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("checks the operator certificate: root, validity, operation and scope, names compared exactly", async () => {
    const d = await device();
    const conn = await ToolConnection.open({ brokerUrl: broker.url });
    try {
      expect((await d.flash(v1)).verdict).toBe("confirmed");
      const before = d.stateFile();
      const now = Math.floor(Date.now() / 1000);
      const op = (scope: Parameters<typeof provisionOperator>[1]): OperatorAuth => ({ operator: provisionOperator(trust.rootKey, scope), rootPublicKey: trust.rootPub });
      const otherRoot = generateKeyPair();
      const cases: [OperatorAuth, string][] = [
        [{ operator: provisionOperator(otherRoot.privateKey, { customers: [CUSTOMER] }), rootPublicKey: trust.rootPub }, "bad-signature"],
        [op({ customers: ["acme"] }), "out-of-scope"], // the device's customer is acme-foods
        [op({ customers: [CUSTOMER], groups: ["cold-store"] }), "out-of-scope"], // the device's group is cold-store-3
        [op({ customers: [CUSTOMER], devices: [`${d.id}0`] }), "out-of-scope"],
        [op({ customers: [CUSTOMER], operations: ["begin", "rollback"] }), "operation-not-allowed"],
        [op({ customers: [CUSTOMER], notBefore: now - 7200, notAfter: now - 3600 }), "expired"],
        [op({ customers: [CUSTOMER], notBefore: now + 3600, notAfter: now + 7200 }), "not-yet-valid"],
      ];
      for (const [auth, code] of cases) {
        const e = await conn.signedRequest(d.id, { op: "config", module: MODULE, values: { threshold: "29" } }, auth).catch((x: unknown) => x);
        expect(e, code).toBeInstanceOf(DeviceRefused);
        expect((e as DeviceRefused).code).toBe(code);
      }
      // A valid certificate with the command signed by another key.
      const thief = provisionOperator(trust.rootKey, { customers: [CUSTOMER] });
      const forged = await conn.signedRequest(d.id, { op: "config", module: MODULE, values: { threshold: "29" } }, { operator: { key: thief.key, cert: trust.auth.operator.cert }, rootPublicKey: trust.rootPub }).catch((x: unknown) => x);
      expect((forged as DeviceRefused).code).toBe("bad-signature");
      expect(d.stateFile()).toBe(before);
      // In scope by exact names ("*" for all groups), it works.
      const ok = await conn.signedRequest(d.id, { op: "config", module: MODULE, values: { threshold: "29" } }, op({ customers: ["acme", CUSTOMER], groups: ["*"], devices: [d.id], operations: ["config"] }));
      expect(ok.statement?.outcome).toBe("reconfigured");
      expect(d.mod()?.config).toEqual({ threshold: "29" });
    } finally {
      await conn.close();
      await d.stop();
    }
  });

  it("forged acks and a forged or replayed \"confirmed\" cannot make flash report success or fill the delta cache", async () => {
    const d = await device();
    const mallory = await attacker();
    const cache = new PackageCache(join(work.path, "forged-cache"));
    const fakeDevice = provisionDevice(generateKeyPair().privateKey, { deviceId: d.id, customer: CUSTOMER, group: GROUP });
    try {
      // A genuine confirmed verdict of v1, captured for replay later.
      await mallory.c.subscribeAsync([topicsFor(d.id).event, topicsFor(d.id).cmd], { qos: 1 });
      expect((await d.flash(v1)).verdict).toBe("confirmed");
      const genuine = mallory.seen.map((s) => s.topic.endsWith("/event") ? JSON.parse(s.payload.toString()) as InstallEvent : null).find((e) => e?.phase === "confirmed")!;
      expect(genuine.proof).toBeTruthy();
      // For every begin: the final ack at once, a "confirmed" signed by a device key of another root,
      // one with the genuine certificate but a forged signature, and the captured genuine one.
      mallory.c.on("message", (topic, payload) => {
        const cmd = topic.endsWith("/cmd") ? openCommand(payload) : null;
        if (cmd?.body.op !== "begin") return;
        const pkg = cmd.body.package!.sha256;
        const event = (proof: string, cert: string) => JSON.stringify({ session: cmd.body.session, module: MODULE, phase: "confirmed", ts: Date.now(), package: pkg, reason: "forged", proof, cert });
        const statement = { device: d.id, request: cmd.digest, outcome: "confirmed", package: pkg, module: MODULE };
        const t = topicsFor(d.id);
        void mallory.c.publishAsync(t.ack, encodeAck({ session: cmd.body.session!, offset: cmd.body.package!.size, gap: false }), { qos: 1 });
        void mallory.c.publishAsync(t.event, event(signStatement(statement, fakeDevice.deviceKey), Buffer.from(fakeDevice.deviceCert).toString("base64")), { qos: 1 });
        void mallory.c.publishAsync(t.event, event(signStatement(statement, generateKeyPair().privateKey), d.agent.status().cert), { qos: 1 });
        void mallory.c.publishAsync(t.event, JSON.stringify({ ...genuine, session: cmd.body.session }), { qos: 1 });
      });
      // A package the device refuses (another root signed it): the real verdict must come through.
      const foreign = makePackage(makeTrust(), { version: "3.0.0", sequence: 3 });
      const r = await d.flash(foreign, { cache });
      expect(r.verdict).toBe("refused");
      expect(r.code).toBe("FWX_PKG_E_CERT_SIG");
      expect(cache.get(sha256Hex(foreign))).toBeNull();
      expect(d.mod()?.version).toBe("1.0.0");
      // v1 removed, flashed again: the old verdict is not replayed, the device installs it for real.
      const conn = await ToolConnection.open({ brokerUrl: broker.url });
      try {
        await conn.signedRequest(d.id, { op: "remove", module: MODULE }, trust.auth);
      } finally {
        await conn.close();
      }
      expect(d.mod()).toBeUndefined();
      const again = await d.flash(v1, { cache });
      expect(again.verdict).toBe("confirmed");
      expect(again.event!.ts).toBeGreaterThan(genuine.ts);
      expect(d.mod()).toMatchObject({ state: "confirmed", version: "1.0.0" });
    } finally {
      await mallory.close();
      await d.stop();
    }
  });

  it("a fake device (no key from the root) cannot answer a flash: the tool times out, exit 4, nothing cached", async () => {
    const id = "trust-fake";
    const fake = provisionDevice(generateKeyPair().privateKey, { deviceId: id, customer: CUSTOMER, group: GROUP });
    const m = await attacker();
    const cache = new PackageCache(join(work.path, "fake-cache"));
    try {
      const t = topicsFor(id);
      await m.c.publishAsync(t.presence, JSON.stringify({ online: true }), { qos: 1, retain: true });
      await m.c.subscribeAsync(t.cmd, { qos: 1 });
      m.c.on("message", (_topic, payload) => {
        const cmd = openCommand(payload);
        if (!cmd) return;
        const proof = signStatement({ device: id, request: cmd.digest, outcome: "confirmed", package: cmd.body.package!.sha256 }, fake.deviceKey);
        void m.c.publishAsync(t.reply(cmd.body.from), JSON.stringify({ req: cmd.body.req, ok: true, done: { phase: "confirmed", module: MODULE, package: cmd.body.package!.sha256 }, proof, cert: Buffer.from(fake.deviceCert).toString("base64") }), { qos: 1 });
      });
      const t0 = Date.now();
      const e = await flash({ brokerUrl: broker.url, device: id, pkg: v1, cache, auth: trust.auth, replyTimeoutMs: 1500, stallTimeoutMs: 5000 }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DeviceUnreachable);
      expect((e as Error).message).toMatch(/ignored an answer: device certificate is not signed by the product root/);
      expect(Date.now() - t0).toBeLessThan(8000);
      expect(cache.get(sha256Hex(v1))).toBeNull();
    } finally {
      await m.c.publishAsync(topicsFor(id).presence, "", { qos: 1, retain: true });
      await m.close();
    }
  });

  it("after a rollback, flashing the last-decided package again does not replay its verdict", async () => {
    const d = await device();
    const conn = await ToolConnection.open({ brokerUrl: broker.url });
    try {
      expect((await d.flash(v1)).verdict).toBe("confirmed");
      expect((await d.flash(v2)).verdict).toBe("confirmed");
      await conn.signedRequest(d.id, { op: "rollback", module: MODULE }, trust.auth);
      expect(d.mod()?.version).toBe("1.0.0");
      const r = await d.flash(v2);
      // v2 is no longer what runs; its sequence is not above the floor, so the device refuses it now.
      expect(r.verdict).toBe("refused");
      expect(r.code).toBe("FWX_PKG_E_ROLLBACK");
      expect(d.mod()?.version).toBe("1.0.0");
    } finally {
      await conn.close();
      await d.stop();
    }
  });

  it("keeps the anti-rollback floor after remove: an older package is refused, the removed version may come back", async () => {
    const d = await device();
    const conn = await ToolConnection.open({ brokerUrl: broker.url });
    try {
      expect((await d.flash(v2)).verdict).toBe("confirmed");
      await conn.signedRequest(d.id, { op: "remove", module: MODULE }, trust.auth);
      expect(d.mod()).toBeUndefined();
      const older = await d.flash(v1);
      expect(older.verdict).toBe("refused");
      expect(older.code).toBe("FWX_PKG_E_ROLLBACK");
      expect(d.mod()).toBeUndefined();
      expect((await d.flash(v2)).verdict).toBe("confirmed");
    } finally {
      await conn.close();
      await d.stop();
    }
  });

  it("a lying retained status cannot get a delta installed against the wrong base: the device checks it, the tool falls back to the full package", async () => {
    const d = await device();
    const m = await attacker();
    const cache = new PackageCache(join(work.path, "lying-status-cache"));
    try {
      expect((await d.flash(v1, { cache })).verdict).toBe("confirmed");
      // A package the device never had, in the tool's cache, and a retained status claiming it is confirmed.
      const decoy = makePackage(trust, { version: "1.5.0", sequence: 5, wasm: tickerWasm({ message: "decoy" }) });
      cache.put(decoy);
      const status = { ...d.agent.status() };
      status.modules = status.modules.map((mod) => ({ ...mod, slots: { A: { version: "1.5.0", sequence: 5, sha256: sha256Hex(decoy), size: decoy.length }, B: null }, confirmed: "A" as const }));
      await m.c.publishAsync(topicsFor(d.id).status, JSON.stringify(status), { qos: 1, retain: true });
      const r = await d.flash(v2, { cache });
      expect(r.verdict).toBe("confirmed");
      expect(r.mode).toBe("full");
      expect(d.mod()).toMatchObject({ version: "2.0.0", slots: { A: { sha256: sha256Hex(v1) }, B: { sha256: sha256Hex(v2) } } });
    } finally {
      await m.close();
      await d.stop();
    }
  });

  it("refuses a package for another customer at its begin, before any byte is stored", async () => {
    const d = await device();
    try {
      const elsewhere = makePackage(makeTrust({ customers: ["acme"] }), { version: "1.0.0", sequence: 1 });
      const e = await d.flash(elsewhere).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DeviceRefused);
      expect((e as DeviceRefused).code).toBe("package-scope");
      expect((e as Error).message).toMatch(/customers acme; this device belongs to acme-foods/);
      expect(d.agent.status().busy).toBeNull();
    } finally {
      await d.stop();
    }
  });

  it("a squatter cannot hold the transfer slot: chunks that store nothing keep no transfer alive, and an unsigned begin is refused", async () => {
    const d = await device({ staleMs: 800 });
    const m = await attacker();
    try {
      const big = makePackage(trust, { version: "1.0.0", sequence: 1, wasm: tickerWasm({ padding: 20_000 }) });
      // A legitimate transfer that stops after its first chunks (the tool died) …
      const abort = new AbortController();
      const first = d.flash(big, { chunkBytes: 1024, window: 2, onProgress: (p) => { if (p.phase === "transferring" && p.acked >= 2048) abort.abort(); }, signal: abort.signal }).catch((x: unknown) => x);
      await first;
      const session = d.agent.status().busy ?? (JSON.parse(readFileSync(join(d.stateDir, "partial", "transfer.json"), "utf8")) as { session: number }).session;
      // … kept "alive" by a squatter resending a chunk below the device's offset every 100 ms: that stores nothing.
      const trickle = setInterval(() => void m.c.publishAsync(topicsFor(d.id).chunk, encodeChunk(session, 0, new Uint8Array([1])), { qos: 0 }), 100);
      try {
        await new Promise((r) => setTimeout(r, 1200));
        const r = await d.flash(v1);
        expect(r.verdict).toBe("confirmed");
        expect(d.mod()?.version).toBe("1.0.0");
      } finally {
        clearInterval(trickle);
      }
      // An unsigned begin never gets the slot at all.
      const u = await rawCommand(d.id, Buffer.from(JSON.stringify({ op: "begin", req: "s", from: "mallory", session: 5, window: 1, package: { module: MODULE, version: "9.0.0", sequence: 9, size: 1, sha256: "b".repeat(64) } })), "mallory", "s");
      expect(u).toMatchObject({ ok: false, code: "unsigned" });
    } finally {
      await m.close();
      await d.stop();
    }
  }, 30_000);

  it("a signed begin with preempt takes over a transfer that still makes progress; without it the device says busy", async () => {
    const id = `trust-dev-${++n}`;
    const link = await new LinkSimulator({ host: broker.host, port: broker.port }, { bandwidthBps: 40_000 }).start();
    const agent = await startSimDevice({ deviceId: id, brokerUrl: link.url, stateDir: join(work.path, id), rootPublicKey: trust.rootPub, ...trust.identity(id), customer: CUSTOMER, group: GROUP, health: FAST_HEALTH });
    try {
      const f = (pkg: Uint8Array, extra: Partial<FlashOptions> = {}) => flash({ brokerUrl: broker.url, device: id, pkg, cache: null, auth: trust.auth, replyTimeoutMs: 10_000, stallTimeoutMs: 10_000, ...extra });
      const big = makePackage(trust, { version: "1.0.0", sequence: 1, wasm: tickerWasm({ padding: 60_000 }) });
      let started!: () => void;
      const transferring = new Promise<void>((r) => (started = r));
      const stopFirst = new AbortController();
      const first = f(big, { signal: stopFirst.signal, onProgress: (p) => { if (p.phase === "transferring" && p.acked > 4096) started(); } }).catch((e: unknown) => e);
      await transferring;
      const polite = await f(v1).catch((e: unknown) => e);
      expect((polite as DeviceRefused).code).toBe("busy");
      const r = await f(v1, { preempt: true });
      expect(r.verdict).toBe("confirmed");
      expect(agent.status().modules.find((m) => m.id === MODULE)?.version).toBe("1.0.0");
      stopFirst.abort();
      await first;
    } finally {
      await agent.stop();
      await link.close();
    }
  }, 60_000);

  it("delivers root-signed revocation lists: only a higher serial replaces the kept one; enforced at install, at boot, and for operators", async () => {
    const d = await device();
    const conn = await ToolConnection.open({ brokerUrl: broker.url });
    try {
      expect((await d.flash(v1)).verdict).toBe("confirmed");
      const integratorCertBody = openEnvelopeBytes(trust.certBytes, "cert").body;
      const list = (serial: number, opts: { integrator?: boolean; operatorCert?: Uint8Array } = {}) => signRevocationList({
        serial, issuedAt: Math.floor(Date.now() / 1000),
        certificates: [...(opts.integrator ? [certificateDigest(integratorCertBody)] : []), ...(opts.operatorCert ? [certificateDigest(openEnvelopeBytes(opts.operatorCert, "op").body)] : [])],
        integratorKeys: [],
      }, trust.rootKey);
      const send = (bytes: Uint8Array, auth = trust.auth) => conn.signedRequest(d.id, { op: "revocations", revocations: bytes }, auth);
      expect((await send(list(2))).reply).toMatchObject({ serial: 2, replaced: true });
      // An older list (that would un-revoke) does not replace it; nor does one the root did not sign.
      expect((await send(list(1, { integrator: true }))).reply).toMatchObject({ serial: 2, replaced: false });
      const bogus = signRevocationList({ serial: 9, issuedAt: 0, certificates: [], integratorKeys: [] }, generateKeyPair().privateKey);
      expect(((await send(bogus).catch((x: unknown) => x)) as DeviceRefused).code).toBe("bad-signature");
      // Revoking the integrator's certificate: new installs are refused …
      expect((await send(list(3, { integrator: true }))).reply).toMatchObject({ serial: 3, replaced: true });
      const r = await d.flash(v2);
      expect(r.verdict).toBe("refused");
      expect(r.code).toBe("FWX_PKG_E_REVOKED");
      // … and at boot the revoked module does not start again.
      await d.stop();
      const d2 = await device({ id: d.id, stateDir: d.stateDir });
      try {
        expect(d2.agent.status().revocationSerial).toBe(3);
        expect(d2.mod()?.state).not.toBe("confirmed");
        // A revoked operator certificate commands nothing.
        const revoked = provisionOperator(trust.rootKey, { customers: [CUSTOMER] });
        const auth = { operator: revoked, rootPublicKey: trust.rootPub };
        await send(list(4, { integrator: true, operatorCert: revoked.cert }));
        const e = await conn.signedRequest(d.id, { op: "remove", module: MODULE }, auth).catch((x: unknown) => x);
        expect((e as DeviceRefused).code).toBe("revoked");
      } finally {
        await d2.stop();
      }
      // Whoever can write the state directory puts an older list back (serial 2: the integrator un-revoked),
      // or removes it: the agent does not start on it, and says why; given the current list, it does.
      const keptFile = join(d.stateDir, "revocations.fwxrl");
      for (const rollBack of [() => writeFileSync(keptFile, list(2)), () => rmSync(keptFile)]) {
        rollBack();
        const refused = await device({ id: d.id, stateDir: d.stateDir }).catch((x: unknown) => x);
        expect(refused).toBeInstanceOf(RevocationsRolledBack);
        expect((refused as Error).message).toMatch(/revocations\.fwxrl: (the kept revocation list has serial 2|missing), but this device already enforced serial 4 \(file .*anti-rollback\.json\): an older state directory would un-revoke/);
      }
      const d3 = await device({ id: d.id, stateDir: d.stateDir, revocations: list(4, { integrator: true }) });
      try {
        expect(d3.agent.status().revocationSerial).toBe(4);
        expect(d3.mod()?.state).not.toBe("confirmed");
      } finally {
        await d3.stop();
      }
    } finally {
      await conn.close();
    }
  });
});
