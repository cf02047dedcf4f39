// TLS, client identities and the per-device topic ACL of docs/fleet-brokers.md,
// against a real Mosquitto (TLS, require_certificate, use_identity_as_username,
// an acl_file with %u patterns; and again with %c patterns and
// use_username_as_clientid) and against the embedded broker configured the
// same way through `fwx broker`. Certificates are made here (tests/ota/pki.ts) and deleted after.
//   - device dev-b cannot read dev-a's chunks or commands, nor publish its status;
//   - where the broker binds client ids to identities, dev-b connecting with
//     client id "dev-a" neither reads dev-a's traffic nor knocks dev-a off;
//   - `fwx agent` (the CLI, as a child process) and `fwx flash` / `fwx devices`
//     (in this process) work through the broker with their certificates;
//   - a client without a certificate is refused.

import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { privateKeyPem } from "../../src/pkg/keys.js";
import { runCliInProcessAsNode } from "../support/cli-in-process.js";
import { signRevocationList } from "../../src/pkg/revocation.js";
import { PasswordFile, passwordLine } from "../../src/ota/broker-access.js";
import { startBroker } from "../../src/ota/broker.js";
import { mosquittoBinary } from "./brokers.js";
import { mosquittoPasswords, mosquittoTls, TOOL, type SecureBroker } from "./tls-mosquitto.js";
import { cliBundle, startChildAgent, writeRootKey, type ChildAgent } from "./child-agent.js";
import { makePackage, makeTrust, MODULE, tempDir } from "./fixtures.js";
import { makePki, type Pki } from "./pki.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const DEV_A = "dev-a";
const DEV_B = "dev-b";



/** `fwx broker` itself (the CLI, as a child process) with TLS, client certificates and the ACL. */
async function embeddedTls(pki: Pki): Promise<SecureBroker> {
  const proc = spawn(process.execPath, [...CHILD_NODE_FLAGS, cli, "broker", "--port", "0", "--json", "--tls-cert", pki.server.cert, "--tls-key", pki.server.key,
    "--client-ca", pki.ca, "--acl", "--tool", TOOL], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stderr!.on("data", (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`fwx broker did not report its URL within 20 s: ${err}`)), 20_000);
    proc.stdout!.on("data", (d) => {
      out += d;
      const line = out.split("\n")[0];
      if (out.includes("\n")) {
        clearTimeout(t);
        resolve((JSON.parse(line!) as { url: string }).url);
      }
    });
    proc.once("exit", (code) => reject(new Error(`fwx broker exited (${code}): ${err}`)));
  });
  return {
    url,
    async close() {
      if (proc.exitCode !== null) return;
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await gone;
    },
  };
}

/** Name, start, and whether the broker binds a client id to its identity (so a device cannot connect under another's id). */
const BROKERS: [string, (pki: Pki) => Promise<SecureBroker>, boolean][] = [
  ["mosquitto with the %u ACL", (pki) => mosquittoTls(pki, "%u"), false],
  ["mosquitto with the %c ACL and use_username_as_clientid", (pki) => mosquittoTls(pki, "%c"), true],
  ["the embedded broker (fwx broker)", embeddedTls, true],
];

const trust = makeTrust();
const work = tempDir("tls");
let pki: Pki;
let cli: string;
beforeAll(async () => {
  pki = makePki(work.path, [DEV_A, DEV_B, TOOL]);
  cli = cliBundle();
}, 120_000);
afterAll(() => {
  work.cleanup();
});

function tlsOptions(name: string | null): mqtt.IClientOptions {
  return {
    ca: readFileSync(pki.ca), rejectUnauthorized: true, reconnectPeriod: 0, connectTimeout: 5000,
    clientId: `${name ?? "anon"}-${randomBytes(3).toString("hex")}`,
    ...(name ? { cert: readFileSync(pki.clients[name]!.cert), key: readFileSync(pki.clients[name]!.key) } : {}),
  };
}

/** A client that records every message it receives. */
async function client(url: string, name: string) {
  const c = await mqtt.connectAsync(url, tlsOptions(name));
  const got: { topic: string; payload: string }[] = [];
  c.on("message", (topic, payload) => got.push({ topic, payload: payload.toString() }));
  return { c, got };
}

const until = async (cond: () => boolean, ms: number, what: string) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Subscribes one filter; resolves with the granted QoS, "refused" (SUBACK failure), or "closed" if the broker dropped the client. */
async function trySubscribe(c: MqttClient, filter: string): Promise<number | "refused" | "closed"> {
  try {
    const granted = await Promise.race([c.subscribeAsync(filter, { qos: 1 }), new Promise<never>((_, rej) => setTimeout(() => rej(new Error("no SUBACK")), 3000))]);
    return granted[0]?.qos === 128 ? "refused" : granted[0]?.qos ?? "refused";
  } catch {
    return c.connected ? "refused" : "closed";
  }
}

/** Whether the broker accepts a session: "connected" only once CONNACK came (a TLS alert, a close or silence is "refused"). */
function connectOutcome(url: string, opts: mqtt.IClientOptions): Promise<"connected" | "refused"> {
  return new Promise((resolve) => {
    const c = mqtt.connect(url, { ...opts, reconnectPeriod: 0 });
    const done = (r: "connected" | "refused") => {
      clearTimeout(t);
      c.end(true);
      resolve(r);
    };
    const t = setTimeout(() => done("refused"), 5000);
    c.once("connect", () => done("connected"));
    c.once("error", () => done("refused"));
    c.once("close", () => done("refused"));
  });
}

/** The operator's key, certificate and the product root as files: what a field tool signs with and checks answers against. */
function operatorArgs(dir: string): string[] {
  const key = join(dir, "operator.key");
  const cert = join(dir, "operator.cert");
  writeFileSync(key, privateKeyPem(trust.auth.operator.key), { mode: 0o600 });
  writeFileSync(cert, trust.auth.operator.cert);
  return ["--operator-key", key, "--operator-cert", cert, "--root", writeRootKey(dir, trust)];
}

/** A field command (runCli in this process: tests/support/cli-in-process.ts) under a time limit. */
const runCli = (args: string[], timeoutMs = 60_000) => runCliInProcessAsNode(args, { timeoutMs });

for (const [name, start, bindsClientId] of BROKERS) {
  describe(`TLS and the per-device ACL on ${name}`, () => {
    let broker: SecureBroker;
    beforeAll(async () => { broker = await start(pki); }, 60_000);
    afterAll(async () => { await broker?.close(); });

    it("a device cannot read another device's chunks or commands, nor publish its status", async () => {
      const victim = await client(broker.url, DEV_A);
      const attacker = await client(broker.url, DEV_B);
      const tool = await client(broker.url, TOOL);
      try {
        expect(await trySubscribe(victim.c, `fwx/v2/${DEV_A}/chunk`)).toBe(1);
        expect(await trySubscribe(victim.c, `fwx/v2/${DEV_A}/cmd`)).toBe(1);
        expect(await trySubscribe(attacker.c, `fwx/v2/${DEV_B}/chunk`)).toBe(1);
        for (const filter of [`fwx/v2/${DEV_A}/chunk`, `fwx/v2/${DEV_A}/cmd`, "fwx/v2/+/chunk", "fwx/v2/#"]) {
          // Mosquitto grants a subscription and filters each message; the embedded broker refuses it in SUBACK.
          expect(await trySubscribe(attacker.c, filter), filter).not.toBe("closed");
        }
        await tool.c.publishAsync(`fwx/v2/${DEV_A}/chunk`, "secret chunk", { qos: 1 });
        await tool.c.publishAsync(`fwx/v2/${DEV_A}/cmd`, "secret command", { qos: 1 });
        await tool.c.publishAsync(`fwx/v2/${DEV_B}/chunk`, "for dev-b", { qos: 1 });
        await until(() => attacker.got.some((m) => m.payload === "for dev-b"), 5000, "dev-b's own chunk");
        await until(() => victim.got.length >= 2, 5000, "dev-a's chunk and command");
        await new Promise((r) => setTimeout(r, 200));
        expect(victim.got.map((m) => m.payload).sort()).toEqual(["secret chunk", "secret command"]);
        expect(attacker.got.filter((m) => m.payload.startsWith("secret")), "dev-b read dev-a's traffic").toEqual([]);
        expect(new Set(attacker.got.map((m) => m.topic))).toEqual(new Set([`fwx/v2/${DEV_B}/chunk`]));

        // dev-a's real status, then dev-b's forgery of it (the embedded broker disconnects dev-b for trying).
        await victim.c.publishAsync(`fwx/v2/${DEV_A}/status`, "real status of dev-a", { qos: 1, retain: true });
        await attacker.c.publishAsync(`fwx/v2/${DEV_B}/status`, "dev-b's own status", { qos: 1, retain: true });
        await Promise.race([attacker.c.publishAsync(`fwx/v2/${DEV_A}/status`, "FORGED", { qos: 1, retain: true }).catch(() => {}), new Promise((r) => setTimeout(r, 1000))]);
        const reader = await client(broker.url, TOOL);
        try {
          await reader.c.subscribeAsync(`fwx/v2/+/status`, { qos: 1 });
          await until(() => reader.got.length >= 2, 5000, "the retained statuses");
          await new Promise((r) => setTimeout(r, 200));
          expect(reader.got.filter((m) => m.topic === `fwx/v2/${DEV_A}/status`).map((m) => m.payload)).toEqual(["real status of dev-a"]);
          expect(reader.got.filter((m) => m.topic === `fwx/v2/${DEV_B}/status`).map((m) => m.payload)).toEqual(["dev-b's own status"]);
        } finally {
          await reader.c.endAsync(true);
        }
      } finally {
        await Promise.all([victim.c.endAsync(true), attacker.c.endAsync(true), tool.c.endAsync(true)]);
      }
    }, 60_000);

    // Mosquitto with the %u ACL lets a client take another's session over by its client id (docs/fleet-brokers.md): not asserted there.
    if (bindsClientId) it("a device connecting with another device's id as its client id reads nothing of it and does not knock it off", async () => {
      const victim = await mqtt.connectAsync(broker.url, { ...tlsOptions(DEV_A), clientId: DEV_A });
      const got: string[] = [];
      victim.on("message", (_t, p) => got.push(p.toString()));
      await victim.subscribeAsync(`fwx/v2/${DEV_A}/chunk`, { qos: 1 });
      const spoofGot: string[] = [];
      const spoof = mqtt.connect(broker.url, { ...tlsOptions(DEV_B), clientId: DEV_A, reconnectPeriod: 0 });
      spoof.on("message", (t, p) => spoofGot.push(`${t} ${p.toString()}`));
      const outcome = await new Promise<"connected" | "refused">((r) => {
        const t = setTimeout(() => r("refused"), 5000);
        spoof.once("connect", () => { clearTimeout(t); r("connected"); });
        spoof.once("error", () => { clearTimeout(t); r("refused"); });
        spoof.once("close", () => { clearTimeout(t); r("refused"); });
      });
      const tool = await mqtt.connectAsync(broker.url, tlsOptions(TOOL));
      try {
        if (outcome === "connected") expect(await trySubscribe(spoof, `fwx/v2/${DEV_A}/chunk`)).not.toBe("closed");
        await new Promise((r) => setTimeout(r, 300));
        expect(victim.connected, "dev-a was knocked off by a client using its id").toBe(true);
        await tool.publishAsync(`fwx/v2/${DEV_A}/chunk`, "secret chunk", { qos: 1 });
        await until(() => got.length >= 1, 5000, "dev-a's chunk");
        await new Promise((r) => setTimeout(r, 200));
        expect(got).toEqual(["secret chunk"]);
        expect(spoofGot, "dev-b read dev-a's chunk under dev-a's client id").toEqual([]);
      } finally {
        spoof.end(true);
        await Promise.all([victim.endAsync(true), tool.endAsync(true)]);
      }
    }, 60_000);

    it("refuses a client without a certificate, and one whose certificate is from another CA", async () => {
      expect(await connectOutcome(broker.url, tlsOptions(DEV_A)), "positive control").toBe("connected");
      expect(await connectOutcome(broker.url, tlsOptions(null))).toBe("refused");
      const otherDir = tempDir("other-ca");
      try {
        const other = makePki(otherDir.path, [DEV_A], "other-ca");
        expect(await connectOutcome(broker.url, { ...tlsOptions(null), cert: readFileSync(other.clients[DEV_A]!.cert), key: readFileSync(other.clients[DEV_A]!.key) })).toBe("refused");
      } finally {
        otherDir.cleanup();
      }
    }, 60_000);

    it("fwx agent, fwx flash and fwx devices work through it with their certificates", async () => {
      const dir = tempDir("tls-agent");
      let agent: ChildAgent | null = null;
      try {
        const tls = (who: string) => ["--broker", broker.url, "--ca", pki.ca, "--cert", pki.clients[who]!.cert, "--key", pki.clients[who]!.key];
        agent = startChildAgent(cli, { deviceId: DEV_A, broker: broker.url, stateDir: join(dir.path, "state"), rootFile: writeRootKey(dir.path, trust), trust, extraArgs: tls(DEV_A).slice(2) });
        await agent.online;
        const pkgFile = join(dir.path, "v1.fwx");
        writeFileSync(pkgFile, makePackage(trust, { version: "1.0.0", sequence: 1 }));
        const f = await runCli(["flash", pkgFile, "--device", DEV_A, ...tls(TOOL), ...operatorArgs(dir.path), "--no-delta", "--json", "--timeout", "30"]);
        expect(f.code, f.err).toBe(0);
        expect(JSON.parse(f.out)).toMatchObject({ verdict: "confirmed", version: "1.0.0" });
        const d = await runCli(["devices", ...tls(TOOL), "--json"]);
        expect(d.code, d.err).toBe(0);
        const rows = JSON.parse(d.out) as { device: string; online: boolean; status: { modules: { id: string; version: string }[] } | null }[];
        expect(rows.find((r) => r.device === DEV_A)).toMatchObject({ online: true, status: { modules: [{ id: MODULE, version: "1.0.0" }] } });
        // fwx cert deliver takes the same broker options.
        const listFile = join(dir.path, "revoked.fwxrl");
        writeFileSync(listFile, signRevocationList({ serial: 1, issuedAt: Math.floor(Date.now() / 1000), certificates: [], integratorKeys: [] }, trust.rootKey));
        const dl = await runCli(["cert", "deliver", listFile, "--device", DEV_A, ...tls(TOOL), ...operatorArgs(dir.path)]);
        expect(dl.code, dl.err).toBe(0);
        expect(dl.out).toMatch(new RegExp(`${DEV_A}: enforces revocation list serial 1 or later`));
        // With dev-b's certificate a tool cannot reach dev-a: its command is not delivered.
        const denied = await runCli(["rollback", DEV_A, MODULE, ...tls(DEV_B), ...operatorArgs(dir.path), "--json"], 30_000);
        expect(denied.code, denied.out + denied.err).toBe(4);
      } finally {
        await agent?.stop();
        dir.cleanup();
      }
    }, 120_000);
  });
}

describe("password logins", () => {
  it("reads password files written by mosquitto_passwd, and writes lines it accepts", () => {
    const file = join(work.path, "passwd");
    const bin = mosquittoBinary();
    expect(bin).not.toBeNull();
    const r = spawnSync("mosquitto_passwd", ["-b", "-c", file, "gw-9", "s3cret pass"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const pf = PasswordFile.load(file);
    expect(pf.check("gw-9", Buffer.from("s3cret pass"))).toBe(true);
    expect(pf.check("gw-9", Buffer.from("s3cret pasS"))).toBe(false);
    expect(pf.check("gw-10", Buffer.from("s3cret pass"))).toBe(false);
    const mine = PasswordFile.parse(passwordLine("tool", "pw", randomBytes(12)));
    expect(mine.check("tool", Buffer.from("pw"))).toBe(true);
    expect(() => PasswordFile.parse("x:plain")).toThrow(/password file:1: user "x": unsupported hash/);
  });

  it("fwx agent and fwx flash log in to Mosquitto by username and password file, under the same ACL", async () => {
    const dir = tempDir("passwd-mosquitto");
    let agent: ChildAgent | null = null;
    const broker = await mosquittoPasswords(dir.path, { [DEV_A]: "pw-a", [TOOL]: "pw-t" });
    try {
      const url = broker.url;
      expect(await connectOutcome(url, { username: DEV_A, password: "pw-t" })).toBe("refused");
      agent = startChildAgent(cli, { deviceId: DEV_A, broker: url, stateDir: join(dir.path, "state"), rootFile: writeRootKey(dir.path, trust), trust, extraArgs: ["--username", DEV_A, "--password-file", broker.passwordFile(DEV_A)] });
      await agent.online;
      const pkgFile = join(dir.path, "v1.fwx");
      writeFileSync(pkgFile, makePackage(trust, { version: "1.0.0", sequence: 1 }));
      const f = await runCli(["flash", pkgFile, "--device", DEV_A, "--broker", url, "--username", TOOL, "--password-file", broker.passwordFile(TOOL), ...operatorArgs(dir.path), "--no-delta", "--json", "--timeout", "30"]);
      expect(f.code, f.err).toBe(0);
      expect(JSON.parse(f.out)).toMatchObject({ verdict: "confirmed", version: "1.0.0" });
    } finally {
      await agent?.stop();
      await broker.close();
      dir.cleanup();
    }
  }, 120_000);

  it("the embedded broker logs devices in by password and still keeps them to their own topics", async () => {
    const passwd = join(work.path, "passwd2");
    writeFileSync(passwd, [passwordLine(DEV_A, "pw-a", randomBytes(12)), passwordLine(DEV_B, "pw-b", randomBytes(12)), passwordLine(TOOL, "pw-t", randomBytes(12))].join("\n") + "\n");
    const b = await startBroker({ passwords: PasswordFile.load(passwd), acl: { tools: new Set([TOOL]) } });
    const opts = (u: string, p: string) => ({ username: u, password: p, reconnectPeriod: 0, connectTimeout: 5000 });
    try {
      expect(await connectOutcome(b.url, opts(DEV_A, "pw-a")), "positive control").toBe("connected");
      expect(await connectOutcome(b.url, opts(DEV_A, "pw-b"))).toBe("refused");
      expect(await connectOutcome(b.url, { connectTimeout: 5000 })).toBe("refused");
      const b1 = await mqtt.connectAsync(b.url, opts(DEV_B, "pw-b"));
      const tool = await mqtt.connectAsync(b.url, opts(TOOL, "pw-t"));
      try {
        const got: string[] = [];
        b1.on("message", (t) => got.push(t));
        expect(await trySubscribe(b1, `fwx/v2/${DEV_A}/chunk`)).toBe("refused");
        expect(await trySubscribe(b1, `fwx/v2/${DEV_B}/chunk`)).toBe(1);
        await tool.publishAsync(`fwx/v2/${DEV_A}/chunk`, "x", { qos: 1 });
        await tool.publishAsync(`fwx/v2/${DEV_B}/chunk`, "y", { qos: 1 });
        await until(() => got.length >= 1, 5000, "dev-b's chunk");
        await new Promise((r) => setTimeout(r, 100));
        expect(got).toEqual([`fwx/v2/${DEV_B}/chunk`]);
      } finally {
        await b1.endAsync(true);
        await tool.endAsync(true);
      }
    } finally {
      await b.close();
    }
  });
});
