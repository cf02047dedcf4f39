// No message on any topic the agent subscribes to takes it down, and a tool
// does not wait on a dead device longer than its --timeout. The agent runs as
// a child process (`fwx agent`), so a crash is a named failure, not a
// vitest worker dying.

import { randomBytes } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../../src/ota/broker.js";
import { flash } from "../../src/ota/flasher.js";
import { encodeCbor } from "../../src/pkg/cbor.js";
import { CHUNK_HEADER_BYTES, encodeChunk, topicsFor, type DeviceStatus } from "../../src/ota/protocol.js";
import { DEFAULT_RECEIVER, TransferReceiver } from "../../src/ota/receiver.js";
import { DeviceUnreachable, ToolConnection } from "../../src/ota/rpc.js";
import { openCommand, signCommand, type CommandBody } from "../../src/ota/signed-command.js";
import { cliBundle, startChildAgent, writeRootKey } from "./child-agent.js";
import { makePackage, makeTrust, MODULE, tempDir, tickerWasm } from "./fixtures.js";
import { runNode } from "../support/run-cli.js";
import { writeFileSync } from "node:fs";
import { privateKeyPem } from "../../src/pkg/keys.js";

describe("robustness of the agent and the tools", () => {
  let broker: RunningBroker;
  let cli: string;
  const trust = makeTrust();
  const work = tempDir("robust");
  const rootFile = writeRootKey(work.path, trust);
  beforeAll(async () => {
    broker = await startBroker();
    cli = cliBundle();
    writeFileSync(join(work.path, "v.fwx"), makePackage(trust, { version: "1.0.0", sequence: 1 }));
    writeFileSync(join(work.path, "op.key"), privateKeyPem(trust.auth.operator.key), { mode: 0o600 });
    writeFileSync(join(work.path, "op.cert"), trust.auth.operator.cert);
  }, 60_000);
  afterAll(async () => {
    await broker.close();
    work.cleanup();
  });

  /** Every kind of hostile payload for the command topic: not JSON, JSON of every shape, CBOR of every shape, signed commands with nonsense fields. */
  function commandCorpus(device: string): Buffer[] {
    const out: Buffer[] = [];
    const text = (s: string) => out.push(Buffer.from(s));
    for (const s of ["null", "true", "0", "[]", "{}", "\"x\"", "", "{", "[[[[[[[[", "1e999", "{\"__proto__\":{\"op\":\"status\"}}"]) text(s);
    const ops = ["status", "logs", "query", "begin", "abort", "rollback", "remove", "config", "revocations", "__proto__", "constructor", "toString"];
    const shapes: Record<string, unknown>[] = [
      {}, { req: 1, from: "f" }, { req: "1", from: "bad/from" }, { req: "1", from: "f" }, { req: "1", from: "f", session: "x", limit: "x", module: {} },
      { req: "1", from: "f", limit: 1e12, module: "constructor" }, { req: "1", from: "f", session: 1e300, values: null }, { req: "1".repeat(100_000), from: "f" },
      { req: "1", from: "f", package: { size: "1", sha256: 5 }, window: -1 },
    ];
    for (const op of ops) for (const sh of shapes) text(JSON.stringify({ op, ...sh }));
    for (let i = 0; i < 150; i++) out.push(randomBytes(i % 7 === 0 ? 2000 : i));
    // CBOR: wrong shapes, huge declared lengths, an array of three with garbage inside.
    out.push(Buffer.from([0x83, 0x40, 0x40, 0x40]), Buffer.from([0x83, 0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), Buffer.from([0x9f, 0xff]));
    out.push(Buffer.from(encodeCbor([new Uint8Array([0xa1, 0x01, 0x02]), new Uint8Array(64), new Uint8Array(10)])));
    out.push(Buffer.from(encodeCbor([encodeCbor(new Map([[1, "begin"]])), new Uint8Array(64), trust.auth.operator.cert])));
    // Validly signed commands with fields that make no sense.
    let counter = 1_000_000;
    const signed = (b: Partial<CommandBody>) => out.push(Buffer.from(signCommand({ op: "begin", device, counter: ++counter, req: `s${counter}`, from: "fuzz", ...b } as CommandBody, trust.auth.operator)));
    signed({});
    signed({ module: MODULE, session: 0, window: 0, package: { sha256: "00".repeat(32), size: Number.MAX_SAFE_INTEGER, version: "", sequence: 0 } });
    signed({ module: "../../etc", session: 1, window: 1, package: { sha256: "00".repeat(32), size: 10, version: "x", sequence: 1 }, delta: { base: "11".repeat(32), size: 2 ** 40, sha256: "22".repeat(32) } });
    signed({ op: "config", module: "constructor", values: { a: "b" } });
    signed({ op: "config", module: MODULE, values: {} });
    signed({ op: "revocations", revocations: randomBytes(100) });
    signed({ op: "revocations" });
    signed({ op: "remove" });
    signed({ op: "frobnicate" });
    return out;
  }

  function chunkCorpus(session: number): Buffer[] {
    const out: Buffer[] = [Buffer.alloc(0), Buffer.alloc(1), Buffer.alloc(CHUNK_HEADER_BYTES), Buffer.alloc(CHUNK_HEADER_BYTES + 1)];
    for (let i = 0; i < 100; i++) out.push(randomBytes(i * 13));
    for (const s of [0, session, 65535]) {
      for (const off of [0, 1, 0x7fffffff, 0xffffffff]) out.push(encodeChunk(s, off, randomBytes(100)), encodeChunk(s, off, new Uint8Array(65536)));
    }
    out.push(Buffer.alloc(CHUNK_HEADER_BYTES + 2 * 1024 * 1024)); // larger than any chunk: refused before it is checksummed or copied
    return out;
  }

  it("survives every hostile payload on cmd and chunk, during a transfer too, and still installs", async () => {
    const device = "robust-fuzz";
    const agent = startChildAgent(cli, { deviceId: device, broker: broker.url, stateDir: join(work.path, device), rootFile, trust });
    const m = await mqtt.connectAsync(broker.url, { clientId: "fuzzer", clean: true });
    const tool = await ToolConnection.open({ brokerUrl: broker.url });
    try {
      await agent.online;
      const t = topicsFor(device);
      for (const p of commandCorpus(device)) await m.publishAsync(t.cmd, p, { qos: 1 });
      for (const p of chunkCorpus(1)) await m.publishAsync(t.chunk, p, { qos: 0 });
      // A transfer in progress gets the same treatment: its session's chunks at every bad offset.
      const big = makePackage(trust, { version: "1.0.0", sequence: 1, wasm: tickerWasm({ padding: 30_000 }) });
      const abort = new AbortController();
      let session = 0;
      await flash({ brokerUrl: broker.url, device, pkg: big, cache: null, auth: trust.auth, window: 2, signal: abort.signal,
        onProgress: (p) => { if (p.phase === "transferring" && p.acked > 2048) abort.abort(); } }).catch(() => {});
      session = ((await tool.request(device, { op: "status" }, 10_000)).status as DeviceStatus).busy ?? 0;
      for (const p of chunkCorpus(session)) await m.publishAsync(t.chunk, p, { qos: 0 });
      await m.publishAsync(t.cmd, Buffer.from("null"), { qos: 1 });
      // Still alive, still answering, still installing.
      expect(agent.proc.exitCode).toBeNull();
      const status = (await tool.request(device, { op: "status" }, 10_000)).status as DeviceStatus;
      expect(status.device).toBe(device);
      const r = await flash({ brokerUrl: broker.url, device, pkg: makePackage(trust, { version: "1.0.1", sequence: 2 }), cache: null, auth: trust.auth, replyTimeoutMs: 10_000, preempt: true });
      expect(r.verdict).toBe("confirmed");
      expect(agent.proc.exitCode).toBeNull();
      expect(agent.stderr()).not.toMatch(/TypeError|RangeError|uncaught/i);
    } finally {
      await m.endAsync(true);
      await tool.close();
      await agent.stop();
    }
  }, 90_000);

  it("a device that dies during the install ends fwx flash after --timeout, not after the verdict wait", async () => {
    const device = "robust-dies";
    const agent = startChildAgent(cli, { deviceId: device, broker: broker.url, stateDir: join(work.path, device), rootFile, trust, healthSeconds: 60 });
    try {
      await agent.online;
      let killedAt = 0;
      const e = await flash({
        brokerUrl: broker.url, device, pkg: makePackage(trust, { version: "1.0.0", sequence: 1 }), cache: null, auth: trust.auth,
        stallTimeoutMs: 3000, replyTimeoutMs: 3000,
        onProgress: (p) => {
          if (!killedAt && p.phase === "installing" && p.step === "trial") {
            killedAt = Date.now();
            agent.proc.kill("SIGKILL");
          }
        },
      }).catch((x: unknown) => x);
      expect(killedAt).toBeGreaterThan(0);
      expect(e).toBeInstanceOf(DeviceUnreachable);
      expect((e as Error).message).toMatch(/during the install: nothing from it for 3 s/);
      // The 3 s of silence count from the device's last sign of life (an answered query, polled every
      // 750 ms), which can come up to a poll before the kill: at least 3000 - 750 ms after it.
      const waited = Date.now() - killedAt;
      expect(waited).toBeGreaterThan(2000);
      expect(waited).toBeLessThan(7000);
    } finally {
      await agent.stop();
    }
  }, 60_000);

  it("a device restarted during the trial still proves its verdict to the waiting tool (the begin it answers is kept with the trial)", async () => {
    const device = "robust-restarts";
    const stateDir = join(work.path, device);
    let agent = startChildAgent(cli, { deviceId: device, broker: broker.url, stateDir, rootFile, trust, healthSeconds: 1 });
    try {
      await agent.online;
      let killed = false;
      const r = await flash({
        brokerUrl: broker.url, device, pkg: makePackage(trust, { version: "1.0.0", sequence: 1 }), cache: null, auth: trust.auth,
        stallTimeoutMs: 30_000, replyTimeoutMs: 10_000,
        onProgress: (p) => {
          if (!killed && p.phase === "installing" && p.step === "trial") {
            killed = true;
            agent.proc.kill("SIGKILL");
            void agent.exited.then(() => { agent = startChildAgent(cli, { deviceId: device, broker: broker.url, stateDir, rootFile, trust, healthSeconds: 1 }); });
          }
        },
      });
      expect(killed).toBe(true);
      expect(r.verdict).toBe("confirmed");
    } finally {
      await agent.stop();
    }
  }, 90_000);

  it("the field tools outlive a hostile publisher: malformed retained statuses, log replies and escape sequences", async () => {
    const m = await mqtt.connectAsync(broker.url, { clientId: "hostile", clean: true });
    const run = (args: string[], timeoutMs = 30_000) => runNode(cli, args, { cwd: work.path, timeoutMs, env: { XDG_CONFIG_HOME: join(work.path, "no-config") } });
    const retained = async (device: string, status: string) => {
      await m.publishAsync(`fwx/v2/${device}/status`, status, { qos: 1, retain: true });
      await m.publishAsync(`fwx/v2/${device}/presence`, '{"online":true}', { qos: 1, retain: true });
    };
    try {
      // Statuses any client allowed to publish there could write: before the fix, the first of these ended
      // `fwx devices` for the whole fleet ("status?.modules.find is not a function"), and `fwx flash` to them.
      await retained("hostile-1", '{"modules":"x"}');
      await retained("hostile-2", '{"device":"hostile-2","ts":"yesterday","modules":[null,{"id":5},{"id":"m","slots":null,"health":null,"config":"z"}],"lastInstall":"x"}');
      await retained("hostile-3", "null");
      await retained("hostile-4", JSON.stringify({ device: "hostile-4", ts: 0, board: "\u001b]0;owned\u0007\u001b[2J", customer: "c", group: "g", modules: [] }));
      const list = await run(["devices", "--broker", broker.url]);
      expect(list.code, list.err).toBe(0);
      expect(list.err).toBe("");
      expect(list.out).toMatch(/^hostile-1 {2}online {2}last seen at an unknown time/m);
      expect(list.out).toMatch(/^ {2}m {2}- {2}\? {2}A: empty {2}B: empty$/m);
      expect(list.out).toMatch(/^hostile-3 {2}online$/m);
      // No escape sequence reaches the terminal: it is shown as text.
      expect(list.out).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
      expect(list.out).toContain("board \\u001b]0;owned\\u0007\\u001b[2J");
      const json = await run(["devices", "--broker", broker.url, "--json"]);
      expect(json.code, json.err).toBe(0);
      for (const device of ["hostile-1", "hostile-2"]) {
        const f = await run(["flash", join(work.path, "v.fwx"), "--device", device, "--broker", broker.url, "--timeout", "2", "--no-delta",
          "--operator-key", join(work.path, "op.key"), "--operator-cert", join(work.path, "op.cert"), "--root", rootFile]);
        expect(f.code, f.err).toBe(4);
        expect(f.err).not.toMatch(/internal error|TypeError/);
      }
      // A fake device answers `fwx logs` with lines of every wrong shape.
      await m.subscribeAsync("fwx/v2/hostile-logs/cmd");
      await m.publishAsync("fwx/v2/hostile-logs/presence", '{"online":true}', { qos: 1, retain: true });
      m.on("message", (_t, p) => {
        const cmd = JSON.parse(p.toString()) as { req: string; from: string };
        const lines = [null, 5, "x", { ts: "x", module: "m\u001b[31m", kind: "log", level: "info", message: "\u001b]0;owned\u0007hi" }, { ts: 1e20, kind: "fault", frames: "zz" }];
        void m.publishAsync(`fwx/v2/hostile-logs/reply/${cmd.from}`, JSON.stringify({ req: cmd.req, ok: true, lines }), { qos: 1 });
      });
      const logs = await run(["logs", "hostile-logs", "--broker", broker.url]);
      expect(logs.code, logs.err).toBe(0);
      expect(logs.out).toContain("? m\\u001b[31m log info: \\u001b]0;owned\\u0007hi");
      expect(logs.out).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    } finally {
      for (const d of ["hostile-1", "hostile-2", "hostile-3", "hostile-4", "hostile-logs"]) {
        await m.publishAsync(`fwx/v2/${d}/status`, "", { qos: 1, retain: true });
        await m.publishAsync(`fwx/v2/${d}/presence`, "", { qos: 1, retain: true });
      }
      await m.endAsync(true);
    }
  }, 120_000);

  it("an agent whose broker cannot be reached says so once, as fwx-device does, instead of waiting in silence", async () => {
    const device = "robust-nobroker";
    // A port nothing listens on: bound and closed again.
    const port = await new Promise<number>((res) => { const srv = createServer().listen(0, "127.0.0.1", () => { const p = (srv.address() as AddressInfo).port; srv.close(() => res(p)); }); });
    const agent = startChildAgent(cli, { deviceId: device, broker: `mqtt://127.0.0.1:${port}`, stateDir: join(work.path, device), rootFile, trust });
    try {
      const said = new RegExp(`\\[agent\\] broker mqtt://127\\.0\\.0\\.1:${port} not reachable yet \\(.*ECONNREFUSED.*\\); retrying`);
      const until = Date.now() + 20_000;
      while (!said.test(agent.stderr()) && Date.now() < until && agent.proc.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      expect(agent.stderr()).toMatch(said);
      await new Promise((r) => setTimeout(r, 1500)); // several reconnects later: still once
      expect(agent.stderr().match(/not reachable yet/g)).toHaveLength(1);
      expect(agent.proc.exitCode).toBeNull();
    } finally {
      await agent.stop();
    }
  }, 60_000);

  it("fwx flash takes a begin's unproven offset only as a byte count: a lying device gets a plain stall, not 'byte NaN'", async () => {
    const device = "robust-liar";
    const m = await mqtt.connectAsync(broker.url, { clientId: device, clean: true });
    try {
      const t = topicsFor(device);
      await m.publishAsync(t.presence, '{"online":true}', { qos: 1, retain: true });
      await m.subscribeAsync(t.cmd, { qos: 1 });
      // Answers every signed begin with an offset that is no number (an accepted begin needs no proof).
      m.on("message", (_topic, payload) => {
        const c = openCommand(payload);
        if (c?.body.op === "begin") void m.publishAsync(t.reply(c.body.from), JSON.stringify({ req: c.body.req, ok: true, resumeFrom: "lots" }), { qos: 1 });
      });
      const e = await flash({ brokerUrl: broker.url, device, pkg: makePackage(trust, { version: "1.0.0", sequence: 1 }), cache: null, auth: trust.auth, stallTimeoutMs: 1500, replyTimeoutMs: 5000 }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DeviceUnreachable);
      expect((e as Error).message).toMatch(/^no progress for 2 s at byte 0 of \d+$/);
    } finally {
      await m.publishAsync(`fwx/v2/${device}/presence`, "", { qos: 1, retain: true });
      await m.endAsync(true);
    }
  }, 60_000);

  it("keeps no chunk larger than a chunk, and at most a bounded number of bytes of chunks for sessions it was not told about", () => {
    const dir = tempDir("early");
    try {
      const r = new TransferReceiver(dir.path, DEFAULT_RECEIVER, null, () => {}, () => {});
      const early = () => (r as unknown as { early: { data: Uint8Array }[] }).early;
      r.onChunk({ session: 9, offset: 0, data: new Uint8Array(40 * 1024 * 1024) }, Date.now());
      expect(early()).toHaveLength(0);
      for (let i = 0; i < 20; i++) r.onChunk({ session: 9, offset: i * 65536, data: new Uint8Array(65536) }, Date.now());
      expect(early().reduce((n, c) => n + c.data.length, 0)).toBeLessThanOrEqual(2 * 65536);
      r.close();
    } finally {
      dir.cleanup();
    }
  });
});
