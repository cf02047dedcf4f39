// connectBroker (src/ota/mqtt-connect.ts): mqtt:// and mqtts:// on sockets
// built by fwx, everything else through mqtt.connect. The TLS stream is fwx's
// own, so the checks a client must make of a broker are tested here: the right
// CA connects, a broker whose certificate chains to another CA is refused
// before any MQTT is spoken. And the reason it exists: a field command over
// mqtt:// does not load WebSocket.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../../src/ota/broker.js";
import { brokerRoute, connectBroker } from "../../src/ota/mqtt-connect.js";
import { runNode } from "../support/run-cli.js";
import { tempDir } from "./fixtures.js";
import { makePki, type Pki } from "./pki.js";

/** "connected", or the first error's message, within a few seconds. */
function outcome(client: MqttClient): Promise<string> {
  return new Promise((done) => {
    const end = (what: string) => {
      clearTimeout(timer);
      client.end(true);
      done(what);
    };
    const timer = setTimeout(() => end("timed out"), 8000);
    client.once("connect", () => end("connected"));
    client.once("error", (e) => end(`error: ${e.message}`));
  });
}

describe("brokerRoute", () => {
  it.each([
    ["mqtt://127.0.0.1:1883", { kind: "tcp", host: "127.0.0.1", port: 1883 }],
    ["mqtt://broker.example", { kind: "tcp", host: "broker.example", port: 1883 }],
    ["tcp://10.0.0.2:2000", { kind: "tcp", host: "10.0.0.2", port: 2000 }],
    ["mqtts://broker.example", { kind: "tls", host: "broker.example", port: 8883 }],
    ["mqtts://[::1]:8884", { kind: "tls", host: "::1", port: 8884 }],
    ["ws://broker.example:8080/mqtt", { kind: "mqtt.js" }],
    ["wss://broker.example/mqtt", { kind: "mqtt.js" }],
    ["mqtt://user:secret@broker.example", { kind: "mqtt.js" }],
    ["mqtt://broker.example?clientId=x", { kind: "mqtt.js" }],
    ["not a url", { kind: "mqtt.js" }],
  ])("%s → %j", (url, route) => {
    expect(brokerRoute(url, {})).toEqual(route);
  });

  it("leaves a SOCKS proxy to mqtt.js, which honours MQTTJS_SOCKS_PROXY", () => {
    expect(brokerRoute("mqtt://broker.example", { MQTTJS_SOCKS_PROXY: "socks5://127.0.0.1:1080" })).toEqual({ kind: "mqtt.js" });
  });
});

describe("connectBroker", () => {
  const work = tempDir("mqtt-connect");
  let pki: Pki;
  let other: Pki;
  let plain: RunningBroker;
  let tls: RunningBroker;

  beforeAll(async () => {
    pki = makePki(work.path, ["tool"]);
    const otherDir = join(work.path, "other");
    mkdirSync(otherDir);
    other = makePki(otherDir, [], "other-ca");
    plain = await startBroker();
    tls = await startBroker({ tls: { cert: readFileSync(pki.server.cert), key: readFileSync(pki.server.key) } });
  }, 60_000);
  afterAll(async () => {
    await plain?.close();
    await tls?.close();
    work.cleanup();
  });

  it("connects over mqtt://", async () => {
    expect(await outcome(connectBroker(plain.url, { reconnectPeriod: 0, connectTimeout: 5000 }))).toBe("connected");
  });

  it("connects over mqtts:// to a broker whose certificate chains to the CA given", async () => {
    const url = `mqtts://127.0.0.1:${tls.port}`;
    expect(await outcome(connectBroker(url, { ca: readFileSync(pki.ca), rejectUnauthorized: true, reconnectPeriod: 0, connectTimeout: 5000 }))).toBe("connected");
  });

  it("with a client certificate, mqtt:// is TLS, as mqtt.connect makes it", async () => {
    const url = `mqtt://127.0.0.1:${tls.port}`;
    const tool = pki.clients.tool!;
    const options = { ca: readFileSync(pki.ca), cert: readFileSync(tool.cert), key: readFileSync(tool.key), rejectUnauthorized: true, reconnectPeriod: 0, connectTimeout: 5000 };
    expect(await outcome(connectBroker(url, options))).toBe("connected");
  });

  it("refuses a broker whose certificate chains to another CA, and one checked against the system store", async () => {
    const url = `mqtts://127.0.0.1:${tls.port}`;
    const wrongCa = await outcome(connectBroker(url, { ca: readFileSync(other.ca), rejectUnauthorized: true, reconnectPeriod: 0, connectTimeout: 5000 }));
    expect(wrongCa).toMatch(/^error: .*certificate/i);
    const noCa = await outcome(connectBroker(url, { rejectUnauthorized: true, reconnectPeriod: 0, connectTimeout: 5000 }));
    expect(noCa).toMatch(/^error: .*certificate/i);
  });

  it("a client does not fill mqtt-packet's table of 65,536 packet-id Buffers, unless asked to (writeCache)", async () => {
    // A process of its own: in this one the broker's own writes may have filled the table already.
    const probe = resolve(import.meta.dirname, "write-cache-probe.ts");
    const runTs = resolve(import.meta.dirname, "../../scripts/run-ts.mjs");
    const entries = async (mode: "default" | "true") => {
      const r = await runNode(runTs, [probe, plain.url, mode], { cwd: work.path, timeoutMs: 30_000 });
      expect(r.code, r.err).toBe(0);
      return Number(r.out.trim());
    };
    expect(await entries("default")).toBe(0);
    // The control: the table this spares is really made when a client keeps mqtt.js's default.
    expect(await entries("true")).toBe(65536);
  }, 40_000);

  it("a field command over mqtt:// does not load WebSocket; over ws:// it does", async () => {
    // mqtt.js is bundled into dist/, so what a process loaded is read from Node's own list of the built-in
    // modules it loaded, written at exit by a preloaded hook: \`ws\` needs node:http and node:https, which
    // nothing else on a field command's path over mqtt:// does.
    const hook = join(work.path, "record-loaded.cjs");
    writeFileSync(hook, 'process.on("exit", () => require("node:fs").writeFileSync(process.env.FWX_TEST_LOADED, JSON.stringify(process.moduleLoadList)));\n');
    const cli = resolve(import.meta.dirname, "../../dist/cli.js");
    const builtins = async (broker: string, name: string) => {
      const file = join(work.path, `${name}.json`);
      // Not spawnSync: the broker runs in this process and must answer meanwhile.
      const r = await runNode(cli, ["devices", "--broker", broker, "--json"], { cwd: work.path, env: { NODE_OPTIONS: `--require ${hook}`, FWX_TEST_LOADED: file }, timeoutMs: 30_000 });
      return { code: r.code, err: r.err, loaded: new Set(JSON.parse(readFileSync(file, "utf8")) as string[]) };
    };
    const overTcp = await builtins(plain.url, "tcp");
    expect(overTcp.code, overTcp.err).toBe(0);
    expect(overTcp.loaded.has("NativeModule net")).toBe(true);
    expect(["NativeModule http", "NativeModule https", "NativeModule zlib"].filter((m) => overTcp.loaded.has(m))).toEqual([]);
    // The control: the same command over ws:// (to a broker that speaks no WebSocket: it fails, after loading ws).
    const overWs = await builtins(`ws://127.0.0.1:${plain.port}`, "ws");
    expect(overWs.code).toBe(4);
    expect(overWs.loaded.has("NativeModule https")).toBe(true);
  }, 40_000);
});
