// `fwx fleet --listen` on a port another process holds: one line naming the
// option and why, exit 1 (as fwx broker's "could not listen"), no stack trace,
// and no database left behind by the start that failed.
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../../src/ota/broker.js";
import { tempDir } from "../ota/fixtures.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const cli = resolve("dist/cli.js");
const work = tempDir("fleet-listen");
let broker: RunningBroker;
let busy: Server;
let port = 0;
beforeAll(async () => {
  broker = await startBroker();
  busy = createServer();
  await new Promise<void>((ok) => busy.listen(0, "127.0.0.1", ok));
  port = (busy.address() as { port: number }).port;
}, 30_000);
afterAll(async () => {
  await new Promise((ok) => busy.close(ok));
  await broker.close();
  work.cleanup();
});

describe("fwx fleet --listen on a port in use", () => {
  it("exits 1 with one line naming --listen and the reason", async () => {
    // Not spawnSync: it would block the broker this test runs in-process.
    const r = await new Promise<{ code: number | null; err: string }>((res) => {
      const p = spawn(process.execPath, [...CHILD_NODE_FLAGS, cli, "fleet", "--listen", `127.0.0.1:${port}`, "--db", join(work.path, "fleet.db"), "--broker", broker.url], { cwd: work.path, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, HOME: work.path } });
      let err = "";
      p.stderr.on("data", (d) => (err += d));
      const t = setTimeout(() => p.kill("SIGKILL"), 30_000);
      p.on("close", (code) => { clearTimeout(t); res({ code, err }); });
    });
    const lines = r.err.trim().split("\n").filter((l) => !/no operator credentials/.test(l));
    expect(r.code, r.err).toBe(1);
    expect(lines).toEqual([`fwx: fleet: --listen 127.0.0.1:${port}: cannot listen: the port is in use`]);
    // Nothing half-made: the database this start created is gone with it.
    expect(readdirSync(work.path).filter((f) => f.startsWith("fleet.db"))).toEqual([]);
  });
});
