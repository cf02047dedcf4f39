// What `fwx flash` says about a bad package, through the bundled CLI: a file
// that is not a package is named in the one-line error, and a device's
// refusal whose reason already starts with its code prints the code once.
// Every child process runs under a time limit.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../../src/ota/broker.js";
import { startSimDevice } from "../../src/ota/sim-device.js";
import { privateKeyPem } from "../../src/pkg/keys.js";
import { CUSTOMER, FAST_HEALTH, GROUP, makePackage, makeTrust, tempDir, tickerWasm } from "../ota/fixtures.js";
import { runNode } from "../support/run-cli.js";

const cli = join(import.meta.dirname, "../..", "dist", "cli.js");

const fwx = (args: string[], cwd: string, timeoutMs = 30_000) => runNode(cli, args, { cwd, timeoutMs });

describe("fwx flash: a bad package", () => {
  let broker: RunningBroker;
  const trust = makeTrust();
  const work = tempDir("flash-errors");
  const f = (name: string, data?: string | Uint8Array) => { if (data !== undefined) writeFileSync(join(work.path, name), data, { mode: 0o600 }); return join(work.path, name); };
  beforeAll(async () => { broker = await startBroker(); }, 30_000);
  afterAll(async () => {
    await broker.close();
    work.cleanup();
  });

  it("a project's --integrator-cert that is not a certificate is named by its file before anything is built", async () => {
    const key = f("acme.key", privateKeyPem(trust.integratorKey));
    const r = await fwx(["flash", work.path, "--integrator-key", key, "--integrator-cert", key, "--device", "gw-1", "--broker", broker.url], work.path);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`fwx: flash: ${key}: not a certificate: it is a PEM key (what --root and the --...-key options take)\n`);
  });

  it("is named when it is not a package, and a device's refusal gives its code once", async () => {
    const deviceId = "bad-pkg-gw";
    const agent = await startSimDevice({
      deviceId, brokerUrl: broker.url, stateDir: join(work.path, "state"), rootPublicKey: trust.rootPub, ...trust.identity(deviceId),
      customer: CUSTOMER, group: GROUP, health: FAST_HEALTH,
    });
    try {
      const common = ["--device", deviceId, "--broker", broker.url, "--no-delta", "--timeout", "20",
        "--operator-key", f("ops.key", privateKeyPem(trust.auth.operator.key)), "--operator-cert", f("ops.opcert", trust.auth.operator.cert),
        "--root", f("root.pub", Buffer.from(trust.rootPub).toString("hex"))];

      const junk = await fwx(["flash", f("junk.fwx", "hello"), ...common], work.path);
      expect(junk.code).toBe(2);
      expect(junk.err).toMatch(new RegExp(`^fwx: flash: ${f("junk.fwx").replace(/[.]/g, "\\.")}: not a package: FWX_PKG_E_TRUNCATED: `));

      // A package whose payload was changed after signing: the device refuses it by its hash.
      const pkg = makePackage(trust, { version: "1.0.0", sequence: 1, wasm: tickerWasm() });
      const bad = Uint8Array.from(pkg);
      bad[pkg.length - 300]! ^= 0xff;
      const refused = await fwx(["flash", f("bad.fwx", bad), ...common], work.path);
      expect(refused.code, refused.out + refused.err).toBe(2);
      expect(refused.out).toMatch(/^bad-pkg-gw: com\.acme\.ticker 1\.0\.0 refused: FWX_PKG_E_HASH: payload /m);
      expect(refused.out.match(/FWX_PKG_E_HASH/g)).toHaveLength(1);
    } finally {
      await agent.stop();
    }
  }, 60_000);
});
