// `fwx board serve --socket <path>` replaces only a stale socket (its server
// was killed): a regular file there is never deleted, and a socket another
// server still serves is not taken from its devices.
import { spawn } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultBoardPath, loadBoardFile } from "../../src/sim/board.js";
import { startBridgeServer } from "../../src/sim/bridge-server.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const dir = mkdtempSync(join(tmpdir(), "fwx-bridge-socket-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const board = () => loadBoardFile(defaultBoardPath());

describe("the bridge server's socket path", () => {
  it("refuses a regular file and leaves it as it was", async () => {
    const path = join(dir, "notes.txt");
    writeFileSync(path, "keep me");
    await expect(startBridgeServer({ board: board(), socketPath: path, paceMs: 0 })).rejects.toThrow(`${path} exists and is not a socket; fwx replaces only a stale socket, never another file`);
    expect(readFileSync(path, "utf8")).toBe("keep me");
  });

  it("refuses a socket another server is serving, which keeps serving", async () => {
    const path = join(dir, "live.sock");
    const first = await startBridgeServer({ board: board(), socketPath: path, paceMs: 0 });
    try {
      await expect(startBridgeServer({ board: board(), socketPath: path, paceMs: 0 })).rejects.toThrow(`${path} is being served by another process`);
      const reached = await new Promise<boolean>((res) => {
        const c = net.connect(path);
        c.once("connect", () => { c.destroy(); res(true); });
        c.once("error", () => res(false));
      });
      expect(reached).toBe(true);
    } finally {
      await first.close();
    }
  });

  it("replaces the socket of a server that was killed", async () => {
    const path = join(dir, "stale.sock");
    // A process listens, then dies by SIGKILL: its socket file stays, with nobody behind it.
    const child = spawn(process.execPath, [...CHILD_NODE_FLAGS, "-e", `require("net").createServer().listen(${JSON.stringify(path)}, () => console.log("up"))`], { stdio: ["ignore", "pipe", "ignore"] });
    await new Promise<void>((res) => child.stdout!.once("data", () => res()));
    child.kill("SIGKILL");
    await new Promise((res) => child.once("exit", res));
    expect(lstatSync(path).isSocket()).toBe(true);
    const server = await startBridgeServer({ board: board(), socketPath: path, paceMs: 0 });
    await server.close();
    expect(existsSync(path)).toBe(false);
  });
});
