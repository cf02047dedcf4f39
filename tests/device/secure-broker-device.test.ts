// The C device (fwx-device) through a real Mosquitto with TLS, client
// certificates and the per-device ACL of docs/fleet-brokers.md, as the Node
// agent is tested in tests/ota/secure-broker.test.ts:
//   - it connects with mqtts://, its CA, certificate and key, under its device id
//     as MQTT client id, and `fwx flash` through the same broker ends confirmed;
//   - with the %c ACL and use_username_as_clientid, a process holding another
//     device's certificate but claiming this device's id receives none of its
//     commands or chunks, and the genuine device keeps working;
//   - it logs in by username and password file, and says once why a wrong password is refused;
//   - wrong TLS files are refused at start-up, naming the flag and the file.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePki, type Pki } from "../ota/pki.js";
import { mosquittoPasswords, mosquittoTls, TOOL, type AclVariant, type SecureBroker } from "../ota/tls-mosquitto.js";
import { cli, mcuPackage, startDevice, startDeviceSuite, writePackage, type ChildDevice, type DeviceSuite } from "./device-fixtures.js";

const DEV = "cdev-tls-a";
const OTHER = "cdev-tls-b";

let suite: DeviceSuite;
let pki: Pki;
const devices: ChildDevice[] = [];
beforeAll(async () => {
  suite = await startDeviceSuite("c-device-tls");
  pki = makePki(suite.dir.path, [DEV, OTHER, TOOL]);
}, 300_000);
afterAll(async () => {
  for (const d of devices) await d.stop();
  await suite?.broker.close();
  suite?.dir.cleanup();
});

const until = async (cond: () => boolean, ms: number, what: string) => {
  for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 50))) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
};

const tls = (name: string) => ["--ca", pki.ca, "--cert", pki.clients[name]!.cert, "--key", pki.clients[name]!.key];

for (const variant of ["%u", "%c"] as AclVariant[]) {
  describe(`fwx-device through Mosquitto with TLS and the ${variant} ACL`, () => {
    let broker: SecureBroker;
    beforeAll(async () => { broker = await mosquittoTls(pki, variant); }, 60_000);
    afterAll(async () => { await broker?.close(); });

    it("connects under its device id with its certificate, and fwx flash ends confirmed", async () => {
      const stateDir = join(suite.dir.path, `state-${variant === "%u" ? "u" : "c"}`);
      const d = startDevice(suite.exe, { deviceId: DEV, broker: broker.url, stateDir, rootFile: suite.rootFile, trust: suite.trust, args: tls(DEV) });
      devices.push(d);
      await d.online;
      // Without use_username_as_clientid Mosquitto logs the client id the device sent: its device id.
      if (variant === "%u") expect(broker.log!()).toMatch(new RegExp(`New client connected from [^ ]+ as ${DEV} `));

      let impostor: ChildDevice | null = null;
      if (variant === "%c") {
        // Another device's certificate, this device's id: the broker makes its client id "cdev-tls-b",
        // so it neither takes the genuine session over nor reads this device's topics.
        impostor = startDevice(suite.exe, { deviceId: DEV, broker: broker.url, stateDir: join(suite.dir.path, "impostor"), rootFile: suite.rootFile, trust: suite.trust, args: tls(OTHER) });
        devices.push(impostor);
        await impostor.online;
      }
      const pkg = writePackage(suite.dir.path, `tls-${variant === "%u" ? "u" : "c"}.fwx`, mcuPackage(suite.trust, { version: "1.0.0", sequence: 1 }));
      const r = await cli(["flash", pkg, "--device", DEV, "--broker", broker.url, ...tls(TOOL), ...suite.ops, "--no-delta", "--json", "--timeout", "30"]);
      expect(r.json?.verdict, r.stdout + r.stderr + d.stderr()).toBe("confirmed");
      if (impostor) {
        expect(impostor.stderr(), "the impostor saw the flash").not.toMatch(/"phase":"(received|verified|written|trial|confirmed)"/);
        expect(d.stderr()).toMatch(/"phase":"confirmed"/);
        // The genuine device was never knocked off by the impostor's connection.
        expect(d.stderr()).not.toMatch(/refused the connection|not reachable/);
      }
      await d.stop();
      await impostor?.stop();
    }, 120_000);
  });
}

it("logs in to Mosquitto by username and password file under the documented ACL, and says why a wrong password is refused", async () => {
  const dir = join(suite.dir.path, "passwd");
  const broker = await mosquittoPasswords(dir, { [DEV]: "pw-a", [TOOL]: "pw-t" });
  try {
    const url = broker.url;
    const wrong = startDevice(suite.exe, { deviceId: DEV, broker: url, stateDir: join(dir, "state-wrong"), rootFile: suite.rootFile, trust: suite.trust, args: ["--username", DEV, "--password-file", broker.passwordFile(TOOL)] });
    devices.push(wrong);
    await until(() => /the broker refused the connection: .*(password|authori[sz])/i.test(wrong.stderr()), 15_000, "the refusal");
    await wrong.stop();
    const d = startDevice(suite.exe, { deviceId: DEV, broker: url, stateDir: join(dir, "state"), rootFile: suite.rootFile, trust: suite.trust, args: ["--username", DEV, "--password-file", broker.passwordFile(DEV)] });
    devices.push(d);
    await d.online;
    const pkg = writePackage(dir, "pw.fwx", mcuPackage(suite.trust, { version: "1.0.0", sequence: 1 }));
    const r = await cli(["flash", pkg, "--device", DEV, "--broker", url, "--username", TOOL, "--password-file", broker.passwordFile(TOOL), ...suite.ops, "--no-delta", "--json", "--timeout", "30"]);
    expect(r.json?.verdict, r.stdout + r.stderr + d.stderr()).toBe("confirmed");
    await d.stop();
  } finally {
    await broker.close();
  }
}, 120_000);

it("refuses at start-up a TLS file it cannot read and TLS options on an mqtt:// broker, naming the flag", () => {
  const base = ["--device-id", DEV, "--state-dir", join(suite.dir.path, "bad"), "--root", suite.rootFile, "--customer", "c", "--group", "g",
    "--device-key", "/nonexistent.key", "--device-cert", "/nonexistent.cert"];
  const missing = spawnSync(suite.exe, [...base, "--broker", "mqtts://127.0.0.1:1", "--ca", "/nonexistent/ca.pem"], { encoding: "utf8", timeout: 20_000 });
  expect(missing.status).toBe(2);
  expect(missing.stderr).toContain("--ca /nonexistent/ca.pem: cannot read it");
  const plain = spawnSync(suite.exe, [...base, "--broker", "mqtt://127.0.0.1:1", "--ca", pki.ca], { encoding: "utf8", timeout: 20_000 });
  expect(plain.status).toBe(2);
  expect(plain.stderr).toContain("need an mqtts:// broker");
  const lonely = spawnSync(suite.exe, [...base, "--broker", "mqtts://127.0.0.1:1", "--cert", pki.clients[DEV]!.cert], { encoding: "utf8", timeout: 20_000 });
  expect(lonely.status).toBe(2);
  expect(lonely.stderr).toContain("--cert and --key go together");
  const badUrl = spawnSync(suite.exe, [...base, "--broker", "tcp://x"], { encoding: "utf8", timeout: 20_000 });
  expect(badUrl.status).toBe(2);
  expect(badUrl.stderr).toContain("--broker tcp://x: must be mqtt://host[:port] or mqtts://host[:port]");
});
