// How fwx connects to a broker: the URL plus TLS (a private CA, a client
// certificate and key) and a username and password. One option parser for
// `fwx agent` and every field tool, one place that turns it into mqtt.js
// options, so a device and a tool authenticate the same way.
//
//   --broker mqtts://broker.example:8883 --ca ca.pem --cert dev.pem --key dev.key
//   --username gw-17 --password-file /etc/fwx/mqtt-password
//
// Each option may also come from the environment (FWX_MQTT_CA, FWX_MQTT_CERT,
// FWX_MQTT_KEY, FWX_MQTT_USERNAME, FWX_MQTT_PASSWORD_FILE, FWX_BROKER), so a
// service unit or a CI job need not put paths on the command line. The
// password is read from a file, never taken as an argument (argv is visible
// to every user of the machine).

import { readFileSync } from "node:fs";
import type { IClientOptions } from "mqtt";
import { UsageError } from "../cli/command.js";
import { checkBrokerUrl } from "./cli-support.js";
import { DEFAULT_BROKER } from "./protocol.js";

export interface MqttSecurity {
  /** PEM CA certificate(s) the broker's certificate must chain to (instead of the system store). */
  ca?: Buffer;
  /** PEM client certificate and its private key (the device's or the tool's identity). */
  cert?: Buffer;
  key?: Buffer;
  username?: string;
  password?: Buffer;
}

export interface BrokerTarget {
  url: string;
  security?: MqttSecurity;
}

/** The parseArgs options every broker-connecting command takes. */
export const BROKER_ARGS = {
  broker: { type: "string" },
  ca: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  username: { type: "string" },
  "password-file": { type: "string" },
} as const;

export const BROKER_ARGS_HELP = `  --broker <url>          MQTT broker: mqtt://, mqtts:// (TLS), ws://, wss://
                          (default ${DEFAULT_BROKER}; env FWX_BROKER)
  --ca <file>             PEM CA the broker's certificate must chain to (env FWX_MQTT_CA)
  --cert <file>           PEM client certificate, this client's identity (env FWX_MQTT_CERT)
  --key <file>            PEM private key of --cert (env FWX_MQTT_KEY)
  --username <name>       MQTT username (env FWX_MQTT_USERNAME)
  --password-file <file>  MQTT password: the file's first line (env FWX_MQTT_PASSWORD_FILE)`;

export type BrokerArgValues = Partial<Record<keyof typeof BROKER_ARGS, string | undefined>>;

function readFile(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${option} ${path}: ${code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
}

/** Reads --broker and the security options (flags first, then the environment) and checks they fit together. */
export function brokerTargetFromArgs(values: BrokerArgValues, env: NodeJS.ProcessEnv = process.env): BrokerTarget {
  const pick = (flag: keyof typeof BROKER_ARGS, envName: string): [string, string] | null => {
    const v = values[flag];
    if (v !== undefined) return [`--${flag}`, v];
    const e = env[envName];
    return e ? [envName, e] : null;
  };
  const broker = pick("broker", "FWX_BROKER");
  const url = checkBrokerUrl(broker?.[1] ?? DEFAULT_BROKER);
  const ca = pick("ca", "FWX_MQTT_CA");
  const cert = pick("cert", "FWX_MQTT_CERT");
  const key = pick("key", "FWX_MQTT_KEY");
  const username = pick("username", "FWX_MQTT_USERNAME");
  const passwordFile = pick("password-file", "FWX_MQTT_PASSWORD_FILE");
  const security: MqttSecurity = {};
  const tlsScheme = /^(mqtts|wss):/.test(url);
  for (const o of [ca, cert, key]) {
    if (o && !tlsScheme) throw new UsageError(`${o[0]} needs a TLS broker URL (mqtts:// or wss://), not ${url}`);
  }
  if (!!cert !== !!key) throw new UsageError(cert ? `${cert[0]} needs --key (the certificate's private key)` : `${key![0]} needs --cert (the certificate it belongs to)`);
  if (ca) security.ca = readFile(ca[0], ca[1]);
  if (cert) security.cert = readFile(cert[0], cert[1]);
  if (key) security.key = readFile(key[0], key[1]);
  if (username) security.username = username[1];
  if (passwordFile) {
    if (!username) throw new UsageError(`${passwordFile[0]} needs --username`);
    const line = readFile(passwordFile[0], passwordFile[1]).toString("utf8").split(/\r?\n/)[0] ?? "";
    if (!line) throw new UsageError(`${passwordFile[0]} ${passwordFile[1]}: the first line (the password) is empty`);
    security.password = Buffer.from(line, "utf8");
  }
  return Object.keys(security).length ? { url, security } : { url };
}

/** The mqtt.js connect options for `security` (certificates are always checked: no option turns that off). */
export function mqttSecurityOptions(security: MqttSecurity | undefined): Pick<IClientOptions, "ca" | "cert" | "key" | "username" | "password" | "rejectUnauthorized"> {
  if (!security) return {};
  return {
    ...(security.ca ? { ca: security.ca } : {}),
    ...(security.cert ? { cert: security.cert } : {}),
    ...(security.key ? { key: security.key } : {}),
    ...(security.username !== undefined ? { username: security.username } : {}),
    ...(security.password ? { password: security.password } : {}),
    rejectUnauthorized: true,
  };
}
