// The HAL bridge end to end: the generated C bridge (in the conformance
// harness, on the real generated glue) against a running bridge server —
// board events coming back as unsolicited frames, paced board time, and both
// ends refusing a hostile peer without harm. The C side runs under ASan and
// UBSan; every run has a time limit.

import { spawn } from "node:child_process";
import net from "node:net";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { LOWERED } from "../../src/agent/abi.js";
import { grantedKindMask } from "../../src/caps/capabilities.js";
import { runCli } from "../../src/cli/main.js";
import { loadBoard } from "../../src/sim/board.js";
import { startBridgeServer, type BridgeServer } from "../../src/sim/bridge-server.js";
import { parseTraceCsv } from "../../src/sim/trace.js";
import { BRIDGE_VERSION, FRAME } from "../../host-abi/gen/bridge-wire.js";
import { BUILD_DIR, buildHarness, runHarness } from "./c-side.js";
import { fnByName } from "./layout.js";
import { BOARD } from "./table.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

let harness = "";
const ROOT = join(import.meta.dirname, "..", "..");
const servers: BridgeServer[] = [];
let socketN = 0;
const socketPath = () => join(BUILD_DIR, `bridge-${process.pid}-${socketN++}.sock`);

beforeAll(() => {
  harness = buildHarness();
}, 600_000);
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
  vi.restoreAllMocks();
});

/** A board whose door pin goes high at 0.5 s and low at 1.0 s, and whose RS-232 scale talks every 100 ms. */
function eventBoard() {
  return loadBoard(structuredClone(BOARD), { source: "bridge.test", trace: parseTraceCsv("time,sensor,value\n0,t,5\n0,door,0\n0.5,door,1\n1.0,door,0\n0,v,1000\n", "bridge trace") });
}

async function serve(opts: { paceMs?: number } = {}): Promise<string> {
  const path = socketPath();
  servers.push(await startBridgeServer({ board: eventBoard, socketPath: path, paceMs: opts.paceMs ?? 0 }));
  return path;
}

const GRANT = { gpio: [{ pin: 2, modes: ["input"] }], uart: [1] };
const attach = (caps: object) => `attach 0 ${grantedKindMask(caps, LOWERED.capabilities)} mod ${JSON.stringify(caps)}`;
/** A call line: slot 0 is the result, then the flat arguments as u32 slots. */
const call = (fn: string, ...args: number[]) => `call 0 ${fnByName(fn).index} ${args.length + 1} 0 ${args.map((a) => a >>> 0).join(" ")}`;

describe("HAL bridge: the C device's peripherals from the simulated board", () => {
  it("delivers gpio edges and uart bytes as events raised on the device's clock", async () => {
    const sock = await serve();
    const r = await runHarness(harness, [
      `connect ${sock}`, attach(GRANT),
      call("gpio.claim", 2, 0, 1024), "read 1024 4",
      call("gpio.watch", 1, 3),
      "now 2000000", call("gpio.read", 1, 1032), "read 1032 4",
      "events 0",
      call("uart.open", 1, 9600, 0, 1, 1040), "read 1040 4",
      "now 2150000", call("uart.read", 2, 2048, 64, 1048), "read 1048 4",
      "events 0",
    ], 30_000);
    expect(r.timedOut).toBe(false);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split("\n");
    expect(lines.slice(0, 4)).toEqual(["ok", "ok", "status 0", "bytes 01000000"]); // connect, attach, claim -> handle 1
    expect(lines[4]).toBe("status 0"); // watch rising|falling
    expect(lines.slice(5, 7)).toEqual(["status 0", "bytes 00000000"]); // read at 2 s: low again
    // The edges at 0.5 s (high) and 1.0 s (low), for handle 1: event kind 1 = gpio edge.
    expect(lines.slice(7, 10)).toEqual(["event 0 1 1 1", "event 0 1 1 0", "end"]);
    expect(lines.slice(10, 12)).toEqual(["status 0", "bytes 02000000"]); // uart handle 2
    expect(lines[12]).toBe("status 0");
    const received = Buffer.from(lines[13]!.replace("bytes ", ""), "hex").readUInt32LE(0);
    expect(received).toBeGreaterThan(0);
    const rx = lines.slice(14, -1);
    expect(rx.length).toBeGreaterThan(0);
    for (const e of rx) expect(e).toMatch(/^event 0 2 2 \d+$/); // uart rx on handle 2
    expect(lines.at(-1)).toBe("end");
  });

  it("paces the board along the device clock, so events arrive while the device makes no call", async () => {
    const sock = await serve({ paceMs: 5 });
    const r = await runHarness(harness, [`connect ${sock}`, attach(GRANT), call("uart.open", 1, 9600, 0, 1, 1024), "events 3000"], 30_000);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split("\n");
    expect(lines.slice(0, 3)).toEqual(["ok", "ok", "status 0"]);
    expect(lines[3]).toMatch(/^event 0 2 1 \d+$/);
  });

  it("releases a module's claims when it detaches, so another module can claim the pin", async () => {
    const sock = await serve();
    const r = await runHarness(harness, [
      `connect ${sock}`, attach(GRANT), call("gpio.claim", 2, 0, 1024),
      `attach 1 ${grantedKindMask(GRANT, LOWERED.capabilities)} second ${JSON.stringify(GRANT)}`,
      `call 1 ${fnByName("gpio.claim").index} 4 0 2 0 1024`,
      "detach 0",
      `call 1 ${fnByName("gpio.claim").index} 4 0 2 0 1024`,
    ], 30_000);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim().split("\n")).toEqual(["ok", "ok", "status 0", "ok", "status 3", "status 0"]); // busy, then ok
  });

  it("refuses a device speaking another ABI, and a call before hello, with an error frame", async () => {
    const sock = await serve();
    const reply = (bytes: Buffer) => new Promise<string>((resolve) => {
      const s = net.createConnection(sock);
      let got = Buffer.alloc(0);
      s.on("data", (d) => (got = Buffer.concat([got, d])));
      s.on("close", () => resolve(got.length > 14 ? got.subarray(14).toString("utf8") : `closed after ${got.length} bytes`));
      s.write(bytes);
    });
    const frame = (body: Buffer) => { const f = Buffer.alloc(4 + body.length); f.writeUInt32LE(body.length, 0); body.copy(f, 4); return f; };
    const header = (type: number) => { const b = Buffer.alloc(8); b[0] = type; return b; };
    const hello = (hash: string) => { const b = Buffer.alloc(4 + hash.length); b.writeUInt16LE(BRIDGE_VERSION, 0); b.writeUInt16LE(hash.length, 2); b.write(hash, 4); return frame(Buffer.concat([header(FRAME.hello), b])); };
    expect(await reply(hello("0".repeat(64)))).toMatch(/ABI spec hash 0000000000000000… differs/);
    expect(await reply(frame(Buffer.concat([header(FRAME.call), Buffer.alloc(12)])))).toMatch(/frame type 7 before hello/);
    const huge = Buffer.alloc(4); huge.writeUInt32LE(0xffffffff, 0);
    expect(await reply(huge)).toMatch(/frame length 4294967295 is outside 1\.\.8448/);
    const ok = hello(LOWERED.hash);
    const notServed = Buffer.concat([header(FRAME.call), Buffer.from([fnByName("core.log").index, 0, 0, 0]), Buffer.alloc(8)]);
    const attachBody = Buffer.concat([header(FRAME.attach), Buffer.from([3, 0]), Buffer.from("mod"), Buffer.from([2, 0]), Buffer.from("{}")]);
    expect(await reply(Buffer.concat([ok, frame(attachBody), frame(notServed)]))).toMatch(/function \d+ is not served by the bridge/);
    // A handle the module does not own, sent past the device's glue: the agent's glue refuses it again.
    const write = Buffer.concat([header(FRAME.call), Buffer.from([fnByName("gpio.write").index, 0, 0, 0]), Buffer.alloc(8), Buffer.from([9, 0, 0, 0, 1, 0, 0, 0])]);
    expect(await reply(Buffer.concat([ok, frame(attachBody), frame(write)]))).toMatch(/gpio\.write: the device passed a call its glue must refuse \(foreign-handle/);
    // A grant that is not capabilities JSON is refused, and the device hears why.
    const badGrant = await runHarness(harness, [`connect ${sock}`, "attach 0 8 mod {\"gpio\": [{\"pin\": -1}]}"], 30_000);
    expect(badGrant.out.trim().split("\n")).toEqual(["ok", expect.stringMatching(/^error attach: attach mod grant\.gpio\[0\]\.pin: must be a pin number$/)]);
    // The server still serves a well-behaved device afterwards.
    const r = await runHarness(harness, [`connect ${sock}`, attach(GRANT), call("gpio.claim", 2, 0, 1024)], 30_000);
    expect(r.out.trim().split("\n")).toEqual(["ok", "ok", "status 0"]);
  });

  it("treats a hostile server's replies as a lost link, never as the module's data", async () => {
    const cases: { name: string; reply: (seq: number, fn: number) => Buffer; reason: RegExp }[] = [
      { name: "a status the function may not return", reply: (seq, fn) => reply(seq, fn, 16), reason: /a status the function may not return/ },
      { name: "trailing bytes", reply: (seq, fn) => reply(seq, fn, 0, Buffer.alloc(3)), reason: /length does not match its fields/ },
      { name: "an answer to another request", reply: (seq, fn) => reply(seq + 7, fn, 0), reason: /answers no request/ },
      { name: "a frame longer than the protocol allows", reply: () => { const b = Buffer.alloc(4); b.writeUInt32LE(1 << 30, 0); return b; }, reason: /outside the protocol's bounds/ },
      { name: "a connection closed mid-frame", reply: () => Buffer.from([40, 0, 0, 0, FRAME.reply]), reason: /ended inside a frame|closed the connection/ },
    ];
    // gpio.claim's reply: header, fn, 0, status, then its output (set flag + u32 handle).
    function reply(seq: number, fn: number, status: number, extra = Buffer.alloc(0)): Buffer {
      const body = Buffer.alloc(8 + 4 + 4 + 5);
      body[0] = FRAME.reply; body.writeUInt32LE(seq, 4); body.writeUInt16LE(fn, 8); body.writeUInt32LE(status, 12); body[16] = 1; body.writeUInt32LE(1, 17);
      const full = Buffer.concat([body, extra]);
      const f = Buffer.alloc(4); f.writeUInt32LE(full.length, 0);
      return Buffer.concat([f, full]);
    }
    for (const c of cases) {
      const path = socketPath();
      const fake = net.createServer((s) => {
        let pending = Buffer.alloc(0);
        s.on("data", (d) => {
          pending = Buffer.concat([pending, d]);
          while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32LE(0)) {
            const body = pending.subarray(4, 4 + pending.readUInt32LE(0));
            pending = pending.subarray(4 + body.length);
            const type = body[0]!, seq = body.readUInt32LE(4);
            const answer = (t: number, rest: Buffer = Buffer.alloc(0)) => {
              const h = Buffer.alloc(8); h[0] = t; h.writeUInt16LE(body.readUInt16LE(2), 2); h.writeUInt32LE(seq, 4);
              const b = Buffer.concat([h, rest]); const f = Buffer.alloc(4); f.writeUInt32LE(b.length, 0);
              s.write(Buffer.concat([f, b]));
            };
            if (type === FRAME.hello) answer(FRAME.helloOk, Buffer.from([BRIDGE_VERSION, 0]));
            else if (type === FRAME.attach) answer(FRAME.attachOk);
            else if (type === FRAME.call) { s.write(c.reply(seq, body.readUInt16LE(8))); if (c.name.includes("closed")) s.end(); }
          }
        });
      });
      await new Promise<void>((resolve) => fake.listen(path, resolve));
      const r = await runHarness(harness, [`connect ${path}`, attach(GRANT), "mem 1024 eeeeeeee", call("gpio.claim", 2, 0, 1024), "read 1024 4"], 30_000);
      await new Promise<void>((resolve) => fake.close(() => resolve()));
      expect(r.timedOut, c.name).toBe(false);
      expect(r.code, `${c.name}: ${r.err}`).toBe(0);
      const lines = r.out.trim().split("\n");
      expect(lines.slice(0, 2), c.name).toEqual(["ok", "ok"]);
      expect(lines[2], c.name).toMatch(/^error bridge lost: /);
      expect(lines[2], c.name).toMatch(c.reason);
      expect(lines[3], `${c.name}: the out-pointer is untouched`).toBe("bytes eeeeeeee");
    }
  });
});

describe("fwx board serve", () => {
  it("serves the demo board to the C device as a process, and stops on SIGTERM", async () => {
    const sock = socketPath();
    const child = spawn(process.execPath, [...CHILD_NODE_FLAGS, join(ROOT, "scripts", "run-ts.mjs"), join(ROOT, "src", "cli.ts"), "board", "serve", "--socket", sock, "--pace-ms", "0", "--json"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    let out = "", err = "";
    child.stdout.on("data", (d) => (out += d));
    const ready = new Promise<void>((resolve, reject) => {
      child.stderr.on("data", (d) => { err += d; if (err.includes("served on")) resolve(); });
      child.on("close", (code) => reject(new Error(`fwx board serve exited ${code} before serving: ${err}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    try {
      await ready;
      expect(err).toMatch(/^\[board\] fwx-demo served on /m);
      const r = await runHarness(harness, [`connect ${sock}`, attach({ gpio: [{ pin: 2, modes: ["input"] }] }), call("gpio.claim", 2, 0, 1024), call("gpio.claim", 3, 0, 1032)], 30_000);
      expect(r.out.trim().split("\n")).toEqual(["ok", "ok", "status 0", "status 2"]); // pin 3 exists but is not granted
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      // --json: the board's event log, stamped with the module.
      expect(out.split("\n").filter(Boolean).map((l) => JSON.parse(l))).toContainEqual(expect.objectContaining({ kind: "gpio", pin: 2, mode: "input", module: "mod" }));
    } finally {
      clearTimeout(killer);
      child.kill("SIGKILL");
    }
  }, 150_000);

  async function cli(argv: string[]) {
    const out: string[] = [], err: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
    const code = await runCli(argv);
    return { code, out: out.join("\n"), err: err.join("\n") };
  }
  it("explains itself with --help and refuses a call without --socket", async () => {
    const help = await cli(["board", "--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/usage: fwx board serve --socket <path>/);
    expect(help.out).toMatch(/fwx-device --board-socket <path>/);
    const bad = await cli(["board", "serve"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--socket is required/);
    const missing = await cli(["board", "serve", "--socket", socketPath(), "--board", "no/such/board.json"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no\/such\/board\.json.*file not found/);
  });
});
