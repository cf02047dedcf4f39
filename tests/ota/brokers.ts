// The two brokers the end-to-end suites run against: the embedded aedes and a
// real Mosquitto on a free loopback port (started here, stopped by PID).

import { packageRoot } from "../../src/build/compile.js";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { join } from "node:path";
import { startBroker } from "../../src/ota/broker.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

export interface TestBroker {
  url: string;
  host: string;
  port: number;
  /** Every client loses its connection; the broker is back right after. */
  drop(): Promise<void>;
  close(): Promise<void>;
}

export async function aedesBroker(): Promise<TestBroker> {
  const b = await startBroker();
  return { url: b.url, host: b.host, port: b.port, drop: async () => b.dropClients(), close: () => b.close() };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const a = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return typeof a === "object" && a ? a.port : 0;
}

async function waitListening(port: number, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = connect(port, "127.0.0.1", () => { c.destroy(); r(true); });
      c.on("error", () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`mosquitto did not listen on 127.0.0.1:${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function mosquittoBinary(): string | null {
  // The project's setup installs it (scripts/ensure-mosquitto.mjs); run it here too so CI never depends on a hand install.
  // The package root, found by walking up (packageRoot): this file also runs bundled, from node_modules/.cache, under npm run bench.
  const root = packageRoot();
  spawnSync(process.execPath, [...CHILD_NODE_FLAGS, join(root, "scripts/ensure-mosquitto.mjs")], { stdio: "inherit" });
  for (const p of ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"]) {
    if (spawnSync("test", ["-x", p]).status === 0) return p;
  }
  const w = spawnSync("sh", ["-c", "command -v mosquitto"], { encoding: "utf8" });
  return w.status === 0 ? w.stdout.trim() : null;
}

export async function mosquittoBroker(bin: string, dir: string): Promise<TestBroker> {
  const port = await freePort();
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 10000\n`);
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = spawn(bin, ["-c", conf], { stdio: "ignore" });
    await waitListening(port);
  };
  const stop = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once("exit", r));
    process.kill(p.pid!, "SIGTERM");
    await gone;
  };
  await start();
  return {
    url: `mqtt://127.0.0.1:${port}`, host: "127.0.0.1", port,
    async drop() {
      await stop();
      await start();
    },
    close: stop,
  };
}
