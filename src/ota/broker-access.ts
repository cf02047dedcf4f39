// Who may connect to the embedded broker and what each client may touch.
//
// Identity: the CN of a verified client certificate, else a username whose
// password matches the password file. Password files are Mosquitto's format
// (`mosquitto_passwd` writes them: `name:$7$<iterations>$<salt>$<hash>`,
// PBKDF2-HMAC-SHA512, or the older `$6$<salt>$<hash>`, salted SHA-512), so one
// file serves both brokers.
//
// The per-device ACL of docs/fleet-brokers.md: device <d> may read only
// fwx/v2/<d>/cmd and fwx/v2/<d>/chunk, and publish only its own status,
// presence, event, log, ack, reply/<tool> and telemetry/… topics. Identities
// named as tools may read and write all of fwx/v2/#. Nobody else gets anything.

import { createHash, pbkdf2Sync, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { DEVICE_ID, TOPIC_ROOT } from "./protocol.js";

export class PasswordFileError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = "PasswordFileError";
  }
}

type Entry = { kind: 7; iterations: number; salt: Buffer; hash: Buffer } | { kind: 6; salt: Buffer; hash: Buffer };

export class PasswordFile {
  private constructor(private readonly users: Map<string, Entry>) {}

  static load(file: string): PasswordFile {
    return PasswordFile.parse(readFileSync(file, "utf8"), file);
  }

  static parse(text: string, file = "password file"): PasswordFile {
    const users = new Map<string, Entry>();
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith("#")) return;
      const colon = line.indexOf(":");
      if (colon <= 0) throw new PasswordFileError(file, i + 1, "expected name:$7$… (as mosquitto_passwd writes)");
      const name = line.slice(0, colon);
      const parts = line.slice(colon + 1).split("$");
      if (parts[1] === "7" && parts.length === 5 && /^\d+$/.test(parts[2]!)) {
        users.set(name, { kind: 7, iterations: Number(parts[2]), salt: Buffer.from(parts[3]!, "base64"), hash: Buffer.from(parts[4]!, "base64") });
      } else if (parts[1] === "6" && parts.length === 4) {
        users.set(name, { kind: 6, salt: Buffer.from(parts[2]!, "base64"), hash: Buffer.from(parts[3]!, "base64") });
      } else {
        throw new PasswordFileError(file, i + 1, `user "${name}": unsupported hash (only $7$ PBKDF2-SHA512 and $6$ SHA-512, as mosquitto_passwd writes)`);
      }
    });
    return new PasswordFile(users);
  }

  /** Whether `password` is `user`'s; compares in constant time. */
  check(user: string, password: Buffer): boolean {
    const e = this.users.get(user);
    if (!e) return false;
    const got = e.kind === 7
      ? pbkdf2Sync(password, e.salt, e.iterations, e.hash.length, "sha512")
      : createHash("sha512").update(password).update(e.salt).digest();
    return got.length === e.hash.length && timingSafeEqual(got, e.hash);
  }
}

/** Writes one Mosquitto-compatible line (`$7$`, 101 iterations as mosquitto_passwd 2.0). */
export function passwordLine(user: string, password: string, salt: Buffer): string {
  const hash = pbkdf2Sync(password, salt, 101, 64, "sha512");
  return `${user}:$7$101$${salt.toString("base64")}$${hash.toString("base64")}`;
}

const DEVICE_PUBLISHES = /^(status|presence|event|log|ack|reply\/[^/#+]+|telemetry\/[^#+]+)$/;

export interface TopicAcl {
  /** Identities (certificate CN or username) allowed everything under fwx/v2/. */
  tools: ReadonlySet<string>;
}

function ownRest(identity: string, topic: string): string | null {
  if (!DEVICE_ID.test(identity)) return null;
  const base = `${TOPIC_ROOT}/${identity}/`;
  return topic.startsWith(base) ? topic.slice(base.length) : null;
}

const underRoot = (topic: string) => topic === TOPIC_ROOT || topic.startsWith(`${TOPIC_ROOT}/`);

export function mayPublish(acl: TopicAcl, identity: string | null, topic: string): boolean {
  if (identity === null) return false;
  if (acl.tools.has(identity)) return underRoot(topic);
  const rest = ownRest(identity, topic);
  return rest !== null && DEVICE_PUBLISHES.test(rest);
}

/** `filter` is a subscription filter: a device may only subscribe its own two inbound topics, literally. */
export function maySubscribe(acl: TopicAcl, identity: string | null, filter: string): boolean {
  if (identity === null) return false;
  if (acl.tools.has(identity)) return underRoot(filter);
  const rest = ownRest(identity, filter);
  return rest === "cmd" || rest === "chunk";
}

/** Whether a message on `topic` may be delivered to `identity` (also covers retained messages). */
export function mayReceive(acl: TopicAcl, identity: string | null, topic: string): boolean {
  return maySubscribe(acl, identity, topic);
}
