// A real Mosquitto with TLS, require_certificate, use_identity_as_username and
// the per-device ACL exactly as docs/fleet-brokers.md documents it (%u, or %c
// with use_username_as_clientid), for the tests of the Node agent
// (tests/ota/secure-broker.test.ts) and of the C device
// (tests/device/secure-broker-device.test.ts).

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { join } from "node:path";
import { expect } from "vitest";
import { passwordLine } from "../../src/ota/broker-access.js";
import { mosquittoBinary } from "./brokers.js";
import type { Pki } from "./pki.js";

export interface SecureBroker {
  url: string;
  /** What the broker logged so far (Mosquitto: connections with their client ids, refusals). */
  log?(): string;
  close(): Promise<void>;
}
export type AclVariant = "%u" | "%c";

/** The tools' identity in the documented ACL (`user fleet-tools`). */
export const TOOL = "fleet-tools";

export const fleetDoc = () => readFileSync(join(import.meta.dirname, "../../docs/fleet-brokers.md"), "utf8");

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const a = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return typeof a === "object" && a ? a.port : 0;
}

export async function waitListening(port: number, proc: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`mosquitto exited (${proc.exitCode}): ${log()}`);
    const ok = await new Promise<boolean>((r) => {
      const c = connect(port, "127.0.0.1", () => { c.destroy(); r(true); });
      c.on("error", () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`mosquitto did not listen on ${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}


/**
 * A Mosquitto ACL documented in docs/fleet-brokers.md, used as is: the docs show what is tested. `%u`: the
 * fenced block starting "# fwx.acl"; `%c`: the one starting "# fwx-clientid.acl".
 */
export function documentedAcl(variant: AclVariant = "%u"): string {
  const header = variant === "%u" ? "# fwx.acl" : "# fwx-clientid.acl";
  const m = new RegExp("```\\n(" + header.replace(/\./g, "\\.") + "[\\s\\S]*?)```").exec(fleetDoc());
  if (!m) throw new Error(`docs/fleet-brokers.md has no \`\`\`-fenced block starting with '${header}'`);
  expect(m[1]).toContain(`user ${TOOL}`);
  expect(m[1]).toContain(`pattern read fwx/v2/${variant}/chunk`);
  return m[1]!;
}

export async function mosquittoTls(pki: Pki, variant: AclVariant = "%u"): Promise<SecureBroker> {
  const bin = mosquittoBinary();
  if (!bin) throw new Error("mosquitto is not installed and scripts/ensure-mosquitto.mjs could not install it");
  const port = await freePort();
  const acl = join(pki.dir, "acl");
  writeFileSync(acl, documentedAcl(variant));
  if (variant === "%c") expect(fleetDoc()).toMatch(/# mosquitto\.conf, %c variant: as above, plus\nuse_username_as_clientid true\n/);
  const conf = join(pki.dir, "mosquitto.conf");
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    `cafile ${pki.ca}`, `certfile ${pki.server.cert}`, `keyfile ${pki.server.key}`,
    "require_certificate true", "use_identity_as_username true", ...(variant === "%c" ? ["use_username_as_clientid true"] : []), "allow_anonymous false",
    `acl_file ${acl}`, "persistence false",
    // Run as root (CI containers), Mosquitto would switch to its own user and lose read access to the temp keys.
    ...(process.getuid?.() === 0 ? ["user root"] : []),
    "",
  ].join("\n"));
  return startMosquitto(bin, conf, port, "mqtts");
}

/** Mosquitto on `conf`, once it listens on `port`; close() stops it and waits for it to exit. */
async function startMosquitto(bin: string, conf: string, port: number, scheme: "mqtt" | "mqtts"): Promise<SecureBroker> {
  let log = "";
  const proc = spawn(bin, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  proc.stderr!.on("data", (d) => (log += d));
  await waitListening(port, proc, () => log);
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    log: () => log,
    async close() {
      if (proc.exitCode !== null) return;
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await gone;
    },
  };
}


/**
 * A real Mosquitto logging clients in by username and password (a password_file of fwx's format,
 * which Mosquitto reads) under the documented %u ACL, in `dir`. `users`: name → password.
 * The passwords are also written as files, one each, as `--password-file` takes them: `passwordFile(user)`.
 */
export async function mosquittoPasswords(dir: string, users: Record<string, string>): Promise<SecureBroker & { passwordFile(user: string): string }> {
  const bin = mosquittoBinary();
  if (!bin) throw new Error("mosquitto is not installed and scripts/ensure-mosquitto.mjs could not install it");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "passwd"), Object.entries(users).map(([u, pw]) => passwordLine(u, pw, randomBytes(12))).join("\n") + "\n");
  for (const [u, pw] of Object.entries(users)) writeFileSync(join(dir, `pw-${u}`), pw + "\n");
  writeFileSync(join(dir, "acl"), documentedAcl());
  const port = await freePort();
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, "allow_anonymous false", `password_file ${join(dir, "passwd")}`, `acl_file ${join(dir, "acl")}`, "persistence false",
    ...(process.getuid?.() === 0 ? ["user root"] : []), ""].join("\n"));
  const broker = await startMosquitto(bin, conf, port, "mqtt");
  return { ...broker, passwordFile: (user) => join(dir, `pw-${user}`) };
}
