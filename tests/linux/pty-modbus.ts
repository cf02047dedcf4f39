// Shared test support for the Linux backend's real counterparts: socat
// pseudo-terminal pairs and the libmodbus slave (modbus-slave.c), installed
// by the project's ensure scripts. Every child is tracked so that the test
// file's afterAll kills it, and every wait has its own deadline.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const root = resolve(import.meta.dirname, "../..");

export function waitFor(what: string, ms: number, ready: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((done, fail) => {
    const tick = () => (ready() ? done() : Date.now() > until ? fail(new Error(`timed out after ${ms} ms waiting for ${what}`)) : setTimeout(tick, 20));
    tick();
  });
}

/** A scratch directory with socat and a built libmodbus slave; close() kills every child and removes it. */
export class PtyLab {
  readonly dir: string;
  private readonly children: ChildProcess[] = [];
  private pairs = 0;

  constructor(prefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  /** Installs socat and libmodbus (scripts/ensure-*.mjs) and builds the slave warning-free. Call from beforeAll. */
  setUp(): void {
    for (const script of ["ensure-socat.mjs", "ensure-c-libs.mjs"]) {
      const r = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, join(root, "scripts", script)], { encoding: "utf8", timeout: 300_000 });
      if (r.status !== 0) throw new Error(`scripts/${script} failed: ${r.stderr}`);
    }
    const cc = spawnSync("gcc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Wconversion", join(import.meta.dirname, "modbus-slave.c"), "-o", join(this.dir, "modbus-slave"), "-lmodbus"], { encoding: "utf8", timeout: 60_000 });
    if (cc.status !== 0) throw new Error(`building the libmodbus slave failed: ${cc.stderr}`);
  }

  track(child: ChildProcess): ChildProcess {
    this.children.push(child);
    return child;
  }

  /** A fresh pseudo-terminal pair (socat ends when either side closes): our end and the far end. */
  async ptyPair(): Promise<{ ours: string; theirs: string }> {
    const n = ++this.pairs;
    const ours = join(this.dir, `fwx${n}`);
    const theirs = join(this.dir, `slave${n}`);
    this.track(spawn("socat", [`pty,raw,echo=0,link=${ours}`, `pty,raw,echo=0,link=${theirs}`], { stdio: "ignore" }));
    await waitFor("socat's pseudo-terminal pair", 5000, () => existsSync(ours) && existsSync(theirs));
    return { ours, theirs };
  }

  /** Starts the libmodbus slave on `device` (unit 1, 9600 8E1) serving input registers 0..; resolves when it listens. */
  async startSlave(device: string, registers: number[]): Promise<ChildProcess> {
    const slave = this.track(spawn(join(this.dir, "modbus-slave"), [device, "9600", "E", "1", "1", ...registers.map(String)], { stdio: ["ignore", "pipe", "pipe"] }));
    let out = "";
    slave.stdout!.on("data", (d) => (out += d));
    slave.stderr!.on("data", (d) => (out += d));
    await waitFor(`the Modbus slave to listen (it said: ${JSON.stringify(out)})`, 5000, () => out.includes("ready"));
    return slave;
  }

  close(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Input registers holding big-endian IEEE-754 floats, high word first (as the meter example reads them). */
export function floatRegisters(values: number[]): number[] {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeFloatBE(v, i * 4));
  return Array.from({ length: values.length * 2 }, (_, i) => b.readUInt16BE(i * 2));
}
