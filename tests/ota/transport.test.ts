// The one broker-connection option parser shared by fwx agent and the field
// tools: flags, then environment; clear usage errors naming the option and file.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/command.js";
import { brokerTargetFromArgs, mqttSecurityOptions } from "../../src/ota/transport.js";
import { tempDir } from "./fixtures.js";

const dir = tempDir("transport");
afterAll(() => dir.cleanup());
const file = (name: string, text: string) => {
  const p = join(dir.path, name);
  writeFileSync(p, text);
  return p;
};

describe("broker options", () => {
  it("plain mqtt:// with nothing else has no security options", () => {
    expect(brokerTargetFromArgs({}, {})).toEqual({ url: "mqtt://127.0.0.1:1883" });
    expect(mqttSecurityOptions(undefined)).toEqual({});
  });

  it("reads CA, certificate, key and the password's first line; flags win over the environment", () => {
    const ca = file("ca.pem", "CA");
    const cert = file("c.pem", "CERT");
    const key = file("c.key", "KEY");
    const pw = file("pw", "s3cret\nignored\n");
    const t = brokerTargetFromArgs({ broker: "mqtts://b:8883", ca, cert, key, username: "gw-1" }, { FWX_MQTT_PASSWORD_FILE: pw, FWX_MQTT_USERNAME: "other", FWX_BROKER: "mqtt://x" });
    expect(t.url).toBe("mqtts://b:8883");
    expect(mqttSecurityOptions(t.security)).toEqual({ ca: Buffer.from("CA"), cert: Buffer.from("CERT"), key: Buffer.from("KEY"), username: "gw-1", password: Buffer.from("s3cret"), rejectUnauthorized: true });
    expect(brokerTargetFromArgs({}, { FWX_BROKER: "mqtts://env:8883", FWX_MQTT_CA: ca }).security?.ca?.toString()).toBe("CA");
  });

  it("refuses combinations that cannot work, naming the option", () => {
    const ca = file("ca2.pem", "CA");
    const err = (v: Parameters<typeof brokerTargetFromArgs>[0], env = {}) => { try { brokerTargetFromArgs(v, env); return null; } catch (e) { expect(e).toBeInstanceOf(UsageError); return (e as Error).message; } };
    expect(err({ ca })).toMatch(/--ca needs a TLS broker URL \(mqtts:\/\/ or wss:\/\/\), not mqtt:\/\/127\.0\.0\.1:1883/);
    expect(err({ broker: "mqtts://b", cert: ca })).toMatch(/--cert needs --key/);
    expect(err({ broker: "mqtts://b", key: ca })).toMatch(/--key needs --cert/);
    expect(err({ broker: "mqtts://b", ca: join(dir.path, "missing.pem") })).toMatch(/--ca .*missing\.pem: no such file/);
    expect(err({ "password-file": ca })).toMatch(/--password-file needs --username/);
    expect(err({ username: "u", "password-file": file("empty", "\n") })).toMatch(/the first line \(the password\) is empty/);
    expect(err({}, { FWX_BROKER: "mqtts://b", FWX_MQTT_CERT: ca })).toMatch(/FWX_MQTT_CERT needs --key/);
  });
});
