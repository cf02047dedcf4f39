// The field tools and the agent through the CLI, as an operator sets them up:
// keys, operator and device certificates, flags and environment fallbacks.
// The agents that serve run as processes of the bundled CLI, stopped with
// SIGTERM; the commands run in this process (runCli, with the variables a
// script would set: tests/support/cli-in-process.ts), and one through the
// bundled CLI too, for credentials from a real process environment. Each
// runs under a time limit.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../../src/ota/broker.js";
import { privateKeyPem, publicKeyPem } from "../../src/pkg/keys.js";
import { cliBundle } from "./child-agent.js";
import { CUSTOMER, GROUP, MODULE, makePackage, makeTrust, tempDir, tickerWasm } from "./fixtures.js";
import { runNode } from "../support/run-cli.js";
import { runCliInProcessAsNode } from "../support/cli-in-process.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const repo = resolve(import.meta.dirname, "../..");

/** `fwx <args>` in this process, with `env` set for it. */
const run = (args: string[], env: Record<string, string> = {}, timeoutMs = 60_000) => runCliInProcessAsNode(args, { cwd: repo, env, timeoutMs });
/** The same through the bundled CLI, in a process whose environment has `env`. */
const runProcess = (cli: string, args: string[], env: Record<string, string> = {}, timeoutMs = 60_000) => runNode(cli, args, { cwd: repo, env, timeoutMs });

describe("fwx keys, cert, agent and the field tools with operator and device credentials", () => {
  let broker: RunningBroker;
  let cli: string;
  const trust = makeTrust();
  const work = tempDir("cli-trust");
  const f = (name: string) => join(work.path, name);
  beforeAll(async () => {
    broker = await startBroker();
    cli = cliBundle();
  }, 60_000);
  afterAll(async () => {
    await broker.close();
    work.cleanup();
  });

  it("issues operator and device certificates, runs the agent with its identity, and flashes, rolls back and refuses as documented", async () => {
    writeFileSync(f("root.key"), privateKeyPem(trust.rootKey), { mode: 0o600 });
    writeFileSync(f("root.pub"), publicKeyPem(trust.rootPub));
    mkdirSync(f("config/fwx"), { recursive: true });
    for (const name of ["ops", "gw"]) expect((await run(["keys", "gen", "--out", f(name)])).code).toBe(0);
    const op = await run(["cert", "operator", "--root-key", f("root.key"), "--operator-pub", f("ops.pub"), "--id", "ops", "--operations", "begin,rollback", "--customers", CUSTOMER, "-o", f("ops.opcert")]);
    expect(op.code, op.err).toBe(0);
    expect(op.out).toMatch(/operations\s+begin, rollback/);
    const bad = await run(["cert", "operator", "--root-key", f("root.key"), "--operator-pub", f("ops.pub"), "--id", "ops", "--operations", "reboot", "--customers", CUSTOMER, "-o", f("x.opcert")]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown operation "reboot"/);
    const dev = await run(["cert", "device", "--root-key", f("root.key"), "--device-pub", f("gw.pub"), "--device-id", "cli-gw", "--customer", CUSTOMER, "--group", GROUP, "-o", f("gw.devcert")]);
    expect(dev.code, dev.err).toBe(0);

    const agentArgs = ["agent", "--device-id", "cli-gw", "--board", join(repo, "boards/demo.json"), "--state-dir", f("state"), "--root", f("root.pub"),
      "--customer", CUSTOMER, "--group", GROUP, "--broker", broker.url, "--health-callbacks", "3", "--health-seconds", "0.1"];
    // Without its identity the agent does not start; with another device's certificate neither.
    const noId = await run(agentArgs);
    expect(noId.code).toBe(2);
    expect(noId.err).toMatch(/--device-key and --device-cert are required/);
    const wrong = await run([...agentArgs.map((a) => (a === "cli-gw" ? "other-gw" : a)), "--device-key", f("gw.key"), "--device-cert", f("gw.devcert")]);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/device certificate is for cli-gw, not other-gw/);

    // The anti-rollback store must be outside the state directory.
    const inside = await run([...agentArgs, "--device-key", f("gw.key"), "--device-cert", f("gw.devcert"), "--floor", f("state/floors.json")]);
    expect(inside.code).toBe(2);
    expect(inside.err).toMatch(/--floor .*state\/floors\.json is inside --state-dir .*: whoever can rewrite the state directory could lower it/);
    const agent = spawn(process.execPath, [...CHILD_NODE_FLAGS, cli, ...agentArgs, "--device-key", f("gw.key"), "--device-cert", f("gw.devcert"), "--floor", f("secure/gw.floors.json")], { cwd: repo, stdio: ["ignore", "ignore", "pipe"] });
    let agentErr = "";
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`agent not online: ${agentErr}`)), 30_000);
      agent.stderr!.on("data", (d) => { agentErr += d; if (/\[agent\] online at /.test(agentErr)) { clearTimeout(t); res(); } });
    });
    try {
      writeFileSync(f("v1.fwx"), makePackage(trust, { version: "1.0.0", sequence: 1 }));
      writeFileSync(f("v2.fwx"), makePackage(trust, { version: "2.0.0", sequence: 2, wasm: tickerWasm({ message: "tock" }) }));
      const creds = ["--operator-key", f("ops.key"), "--operator-cert", f("ops.opcert"), "--root", f("root.pub")];
      const common = ["--broker", broker.url, "--cache", f("cache")];
      const noCreds = { XDG_CONFIG_HOME: f("empty-config"), FWX_OPERATOR_KEY: "", FWX_OPERATOR_CERT: "", FWX_ROOT: "" };
      // Flags.
      const r1 = await run(["flash", f("v1.fwx"), "--device", "cli-gw", ...common, ...creds, "--timeout", "20"], noCreds);
      expect(r1.code, r1.err).toBe(0);
      expect(r1.out).toMatch(/com\.acme\.ticker 1\.0\.0 confirmed/);
      // The default files in the config directory.
      for (const [from, to] of [["ops.key", "operator.key"], ["ops.opcert", "operator.cert"], ["root.pub", "root.pub"]] as const) writeFileSync(f(`config/fwx/${to}`), readFileSync(f(from)), { mode: 0o600 });
      const r2 = await run(["flash", f("v2.fwx"), "--device", "cli-gw", ...common, "--timeout", "20"], { XDG_CONFIG_HOME: f("config") });
      expect(r2.code, r2.err).toBe(0);
      // The floors went to --floor, not to the state directory or the default beside it.
      expect(JSON.parse(readFileSync(f("secure/gw.floors.json"), "utf8")).floors).toMatchObject({ [`installed:${MODULE}`]: 2, [`runnable:${MODULE}`]: 1 });
      expect(existsSync(f("state.anti-rollback.json"))).toBe(false);
      // The environment, and the device given as --device to rollback as to flash.
      const rb = await runProcess(cli, ["rollback", "--device", "cli-gw", MODULE, "--broker", broker.url], { ...noCreds, FWX_OPERATOR_KEY: f("ops.key"), FWX_OPERATOR_CERT: f("ops.opcert"), FWX_ROOT: f("root.pub") });
      expect(rb.code, rb.err).toBe(0);
      expect(rb.out).toMatch(/cli-gw: com\.acme\.ticker rolled-back → 1\.0\.0/);
      // The slots swapped: the tool says that a second rollback would run 2.0.0 again.
      expect(rb.out).toMatch(/note: slot [AB] still holds 2\.0\.0; `fwx rollback` again would run it again \(roll forward\)/);
      // No credentials anywhere: a usage error naming where to put them.
      const none = await run(["remove", "cli-gw", MODULE, "--broker", broker.url], noCreds);
      expect(none.code).toBe(2);
      expect(none.err).toMatch(/no operator key: give --operator-key, set FWX_OPERATOR_KEY, or put it at .*empty-config\/fwx\/operator\.key/);
      // This operator may not remove: the device says so, signed.
      const notAllowed = await run(["remove", "cli-gw", MODULE, "--broker", broker.url, ...creds], noCreds);
      expect(notAllowed.code).toBe(2);
      // The refusal names the device that refused, as every field tool's one line does.
      expect(notAllowed.err).toMatch(/^fwx: remove: device cli-gw refused: operator "ops" may not remove/);
      // Reading is open: logs takes the device as --device too.
      const logs = await run(["logs", "--device", "cli-gw", "--broker", broker.url, "--lines", "5"], noCreds);
      expect(logs.code, logs.err).toBe(0);

      // A revocation list delivered by an operator allowed to: what the tool prints is what the device signed.
      expect((await run(["keys", "gen", "--out", f("unrelated")])).code).toBe(0);
      expect((await run(["cert", "revoke", "--root-key", f("root.key"), "--integrator-pub", f("unrelated.pub"), "-o", f("first.fwxrl")])).code).toBe(0);
      const revOp = await run(["cert", "operator", "--root-key", f("root.key"), "--operator-pub", f("ops.pub"), "--id", "rev-ops", "--operations", "revocations", "--customers", CUSTOMER, "-o", f("rev.opcert")]);
      expect(revOp.code, revOp.err).toBe(0);
      const deliver = await run(["cert", "deliver", f("first.fwxrl"), "--device", "cli-gw", "--broker", broker.url, "--operator-key", f("ops.key"), "--operator-cert", f("rev.opcert"), "--root", f("root.pub")], noCreds);
      expect(deliver.code, deliver.err).toBe(0);
      expect(deliver.out).toMatch(/cli-gw: enforces revocation list serial 1 or later \(device-signed acceptance\); it reports keeping serial 1\n/);

      // The device is revoked (fwx cert revoke takes device certificates too): tools given the list believe
      // nothing it says and send it nothing, by flag or from the default file beside the operator's key.
      const rev = await run(["cert", "revoke", "--root-key", f("root.key"), "--cert", f("gw.devcert"), "-o", f("revoked.fwxrl")]);
      expect(rev.code, rev.err).toBe(0);
      const revokedMsg = /not believed: device cli-gw's certificate [0-9a-f]{16}… is revoked \(revocation list serial 1\): its answers are not believed; fwx sends it nothing/;
      const rb2 = await run(["rollback", "--device", "cli-gw", MODULE, "--broker", broker.url, ...creds, "--revocations", f("revoked.fwxrl")], noCreds);
      expect(rb2.code, rb2.err).toBe(2);
      expect(rb2.err).toMatch(revokedMsg);
      writeFileSync(f("config/fwx/revocations.fwxrl"), readFileSync(f("revoked.fwxrl")));
      const seenBefore = agentErr.length;
      const r3 = await run(["flash", f("v2.fwx"), "--device", "cli-gw", ...common, "--timeout", "20", "--json"], { XDG_CONFIG_HOME: f("config") });
      expect(r3.code, r3.err).toBe(2);
      expect(JSON.parse(r3.out)).toMatchObject({ ok: false, code: "device-revoked" });
      await new Promise((r) => setTimeout(r, 300));
      expect(agentErr.slice(seenBefore), "the revoked device was sent a begin").not.toMatch(/\[install\]/);
      // A list that is not the root's is an error, never ignored.
      writeFileSync(f("forged.fwxrl"), readFileSync(f("revoked.fwxrl")).subarray(0, 20));
      const forged = await run(["rollback", "--device", "cli-gw", MODULE, "--broker", broker.url, ...creds, "--revocations", f("forged.fwxrl")], noCreds);
      expect(forged.code).toBe(2);
      expect(forged.err).toMatch(/revocation list .*forged\.fwxrl: /);
    } finally {
      agent.kill("SIGTERM");
      await new Promise((r) => agent.on("exit", r));
    }
  }, 180_000);
  it("an agent whose state directory holds a damaged device.json exits 2 with one line naming the file and the field", async () => {
    writeFileSync(f("d-root.pub"), publicKeyPem(trust.rootPub));
    expect((await run(["keys", "gen", "--out", f("d-gw")])).code).toBe(0);
    writeFileSync(f("d-root.key"), privateKeyPem(trust.rootKey), { mode: 0o600 });
    const dev = await run(["cert", "device", "--root-key", f("d-root.key"), "--device-pub", f("d-gw.pub"), "--device-id", "d-gw", "--customer", CUSTOMER, "--group", GROUP, "-o", f("d-gw.devcert")]);
    expect(dev.code, dev.err).toBe(0);
    mkdirSync(f("d-state"), { recursive: true });
    const args = ["agent", "--device-id", "d-gw", "--state-dir", f("d-state"), "--root", f("d-root.pub"), "--customer", CUSTOMER, "--group", GROUP,
      "--device-key", f("d-gw.key"), "--device-cert", f("d-gw.devcert"), "--broker", broker.url];
    for (const [text, why] of [["{\"format\":1,\"modules\":", /device\.json: unreadable device state/], [JSON.stringify({ format: 1, modules: { [MODULE]: 5 }, lastInstall: null }), /device\.json: modules\["com\.acme\.ticker"\]: expected a module record, found 5/]] as const) {
      writeFileSync(f("d-state/device.json"), text);
      // Before the fix: exit 1, "internal error" and a stack trace (or a TypeError from deep in boot).
      const r = await run(args, {}, 30_000);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(why);
      expect(r.err).toMatch(/^fwx: agent: .*d-state\/device\.json: /);
      expect(r.err.trim().split("\n")).toHaveLength(1);
    }
  }, 60_000);
  it("fwx cert show prints operator and device certificates and checks them against the root", async () => {
    writeFileSync(f("s-root.key"), privateKeyPem(trust.rootKey), { mode: 0o600 });
    writeFileSync(f("s-root.pub"), publicKeyPem(trust.rootPub));
    for (const name of ["s-op", "s-gw"]) expect((await run(["keys", "gen", "--out", f(name)])).code).toBe(0);
    expect((await run(["cert", "operator", "--root-key", f("s-root.key"), "--operator-pub", f("s-op.pub"), "--id", "alice", "--operations", "begin,rollback", "--customers", CUSTOMER, "--devices", "gw-1,gw-2", "-o", f("s.opcert")])).code).toBe(0);
    expect((await run(["cert", "device", "--root-key", f("s-root.key"), "--device-pub", f("s-gw.pub"), "--device-id", "gw-1", "--customer", CUSTOMER, "--group", GROUP, "-o", f("s.devcert")])).code).toBe(0);
    // Before the fix: "not a valid fwx certificate: certificate.modulePrefix (key 3): expected text", and with
    // --root "not signed by this root key" although the root had signed them.
    const op = await run(["cert", "show", f("s.opcert"), "--root", f("s-root.pub")]);
    expect(op.code, op.err).toBe(0);
    expect(op.out).toMatch(/operator certificate, signature verified against .*s-root\.pub/);
    expect(op.out).toMatch(/^operator {5}alice \(key [0-9a-f]{16}\)$/m);
    expect(op.out).toMatch(/^operations {3}begin, rollback$/m);
    expect(op.out).toMatch(/^devices {6}gw-1, gw-2$/m);
    const dev = await run(["cert", "show", f("s.devcert"), "--json"]);
    expect(dev.code, dev.err).toBe(0);
    expect(JSON.parse(dev.out)).toMatchObject({ kind: "device", deviceId: "gw-1", customer: CUSTOMER, group: GROUP, signatureChecked: false });
    // Against another root: refused by name.
    const other = await run(["cert", "show", f("s.devcert"), "--root", f("s-op.pub")]);
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/s\.devcert: not a valid fwx device certificate: not signed by this root key/);
  }, 60_000);
  it("fwx agent keeps its default anti-rollback store beside the state directory however it is spelled (--state-dir .)", async () => {
    writeFileSync(f("dot-root.pub"), publicKeyPem(trust.rootPub));
    const id = trust.identity("dot-gw");
    writeFileSync(f("dot-gw.key"), privateKeyPem(id.deviceKey), { mode: 0o600 });
    writeFileSync(f("dot-gw.cert"), id.deviceCert);
    mkdirSync(f("dot-state"), { recursive: true });
    const agent = spawn(process.execPath, [...CHILD_NODE_FLAGS, cli, "agent", "--device-id", "dot-gw", "--state-dir", ".", "--root", f("dot-root.pub"), "--customer", CUSTOMER, "--group", GROUP,
      "--device-key", f("dot-gw.key"), "--device-cert", f("dot-gw.cert"), "--broker", broker.url], { cwd: f("dot-state"), stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    try {
      await new Promise<void>((res, rej) => {
        const t = setTimeout(() => rej(new Error(`agent not online: ${err}`)), 30_000);
        agent.stderr!.on("data", (d) => { err += d; if (/\[agent\] online at /.test(err)) { clearTimeout(t); res(); } });
      });
    } finally {
      agent.kill("SIGTERM");
      await new Promise((r) => agent.on("close", r));
    }
    // Before the fix: "./..anti-rollback.json", inside the state directory it protects against.
    expect(existsSync(f("dot-state/..anti-rollback.json"))).toBe(false);
    expect(existsSync(f("dot-state.anti-rollback.json"))).toBe(true);
  }, 60_000);
  it("the field tools check the operator credentials before they send anything, and say what is wrong with them", async () => {
    writeFileSync(f("c-root.key"), privateKeyPem(trust.rootKey), { mode: 0o600 });
    writeFileSync(f("c-root.pub"), publicKeyPem(trust.rootPub));
    for (const name of ["c-op", "c-other", "c-gw", "c-root2"]) expect((await run(["keys", "gen", "--out", f(name)])).code).toBe(0);
    expect((await run(["cert", "operator", "--root-key", f("c-root.key"), "--operator-pub", f("c-op.pub"), "--id", "carol", "--operations", "*", "--customers", CUSTOMER, "-o", f("c.opcert")])).code).toBe(0);
    expect((await run(["cert", "device", "--root-key", f("c-root.key"), "--device-pub", f("c-gw.pub"), "--device-id", "c-gw", "--customer", CUSTOMER, "--group", GROUP, "-o", f("c.devcert")])).code).toBe(0);
    writeFileSync(f("c-acme.cert"), trust.certBytes);
    writeFileSync(f("c-v1.fwx"), makePackage(trust, { version: "1.0.0", sequence: 1 }));
    // Before the fix each of these went to the device, which refused with a misleading reason
    // ("not signed by this device's product root", "command signature does not verify").
    const cases: [string[], RegExp][] = [
      [["--operator-cert", f("c-acme.cert")], /operator certificate .*c-acme\.cert: not an operator certificate: it is an integrator certificate/],
      [["--operator-cert", f("c.devcert")], /operator certificate .*c\.devcert: not an operator certificate: it is a device certificate/],
      [["--operator-cert", f("c-v1.fwx")], /operator certificate .*c-v1\.fwx: not an operator certificate: it is a \.fwx package/],
      [["--operator-key", f("c-other.key")], /operator key .*c-other\.key is not the key operator certificate .*c\.opcert certifies \(operator "carol", key [0-9a-f]{16}; this key is [0-9a-f]{16}\)/],
      [["--root", f("c-root2.pub")], /operator certificate .*c\.opcert: not signed by the product root .*c-root2\.pub/],
    ];
    for (const [override, why] of cases) {
      const creds = { "--operator-key": f("c-op.key"), "--operator-cert": f("c.opcert"), "--root": f("c-root.pub"), [override[0]!]: override[1]! };
      // A broker nothing listens on: the check comes before any connection.
      const r = await run(["rollback", "c-gw", MODULE, "--broker", "mqtt://127.0.0.1:9", ...Object.entries(creds).flat()]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(why);
      expect(r.err.trim().split("\n")).toHaveLength(1);
    }
  }, 60_000);
});
