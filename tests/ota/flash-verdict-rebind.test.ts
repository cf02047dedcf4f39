// A device that restarts mid-install can lose the begin its verdict is bound to
// (a C device keeps it with the transfer, which the install consumed). Its
// verdict then comes without a proof for any begin of this flash, and the tool
// must ask again with a signed begin, which the device answers with the verdict
// it reached, proven. Before this was done on the event itself, the tool relied
// on seeing the device go offline and come back, and waited out its whole
// verdict timeout when it did not (CI: "retries a trial interrupted by a kill -9").
// The same holds when the verdict event itself never reaches the tool: once the
// device says the transfer is over (a query refused `superseded`, as the Node
// agent and the C device both answer after their verdict), the tool asks again.

import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../../src/ota/broker.js";
import { flash } from "../../src/ota/flasher.js";
import { encodeAck, topicsFor } from "../../src/ota/protocol.js";
import { openCommand, signStatement, type OpenedCommand } from "../../src/ota/signed-command.js";
import { sha256Hex } from "../../src/ota/state-store.js";
import { MODULE, makePackage, makeTrust } from "./fixtures.js";

describe("flash: a verdict the device could not bind to this flash's begin", () => {
  let broker: RunningBroker;
  const trust = makeTrust();
  beforeAll(async () => { broker = await startBroker(); });
  afterAll(async () => { await broker.close(); });

  /**
   * A device the test plays on the broker, online and subscribed to its commands, with the package it is
   * flashed. `script` sees each command (null for a reading operation, which is plain JSON) and answers
   * through `reply`; `provenDone` is the answer to a begin of a package already confirmed.
   */
  async function scriptedDevice(id: string, version: string, sequence: number) {
    const me = trust.identity(id);
    const cert = Buffer.from(me.deviceCert).toString("base64");
    const pkg = makePackage(trust, { version, sequence });
    const sha = sha256Hex(pkg);
    const t = topicsFor(id);
    const dev = await mqtt.connectAsync(broker.url, { clientId: id, clean: true });
    await dev.publishAsync(t.presence, JSON.stringify({ online: true }), { qos: 1, retain: true });
    await dev.subscribeAsync(t.cmd, { qos: 1 });
    const reply = (to: { from: string; req: string }, body: object) => void dev.publishAsync(t.reply(to.from), JSON.stringify({ req: to.req, ...body }), { qos: 1 });
    const provenDone = (cmd: OpenedCommand) => ({
      ok: true, done: { session: cmd.body.session!, module: MODULE, phase: "confirmed", package: sha, reason: "3 callbacks" }, cert,
      proof: signStatement({ device: id, request: cmd.digest, outcome: "confirmed", package: sha, module: MODULE }, me.deviceKey),
    });
    return {
      pkg, sha, t, dev, reply, provenDone,
      flash: () => flash({ brokerUrl: broker.url, device: id, pkg, cache: null, auth: trust.auth, replyTimeoutMs: 3000, verdictTimeoutMs: 8000, stallTimeoutMs: 8000 }),
      async close() {
        await dev.publishAsync(t.presence, "", { qos: 1, retain: true });
        await dev.endAsync(true);
      },
    };
  }

  it("sends the signed begin again and takes the verdict the device proves for it", async () => {
    const d = await scriptedDevice("rebind-dev", "2.0.0", 1);
    const begins: string[] = [];
    try {
      d.dev.on("message", (_topic, payload) => {
        const cmd = openCommand(payload);
        if (cmd?.body.op !== "begin") return;
        begins.push(Buffer.from(cmd.digest).toString("hex"));
        const session = cmd.body.session!;
        if (begins.length === 1) {
          // Accept, take the whole package, then "restart": the verdict has no proof for this begin.
          d.reply(cmd.body, { ok: true, resumeFrom: 0 });
          void d.dev.publishAsync(d.t.ack, encodeAck({ session, offset: cmd.body.package!.size, gap: false }), { qos: 1 });
          void d.dev.publishAsync(d.t.event, JSON.stringify({ session, module: MODULE, phase: "trial", ts: Date.now(), package: d.sha }), { qos: 1 });
          void d.dev.publishAsync(d.t.event, JSON.stringify({ session, module: MODULE, phase: "confirmed", ts: Date.now(), package: d.sha, reason: "3 callbacks" }), { qos: 1 });
        } else {
          // The same flash asks again: the verdict already reached, proven for this begin.
          d.reply(cmd.body, d.provenDone(cmd));
        }
      });
      const r = await d.flash();
      expect(r.verdict).toBe("confirmed");
      expect(begins.length).toBe(2);
    } finally {
      await d.close();
    }
  }, 30_000);

  it("asks again when the device says the transfer is over but its verdict event never came", async () => {
    const d = await scriptedDevice("lost-verdict-dev", "3.0.0", 2);
    const begins: string[] = [];
    let queries = 0;
    try {
      d.dev.on("message", (_topic, payload) => {
        const cmd = openCommand(payload);
        if (!cmd) {
          // Reading operations are plain JSON. After its verdict a device no longer holds the transfer.
          const q = JSON.parse(payload.toString()) as { op: string; req: string; from: string; session: number };
          if (q.op !== "query") return;
          queries++;
          d.reply(q, { ok: false, code: "superseded", message: `session ${q.session} is no longer the device's transfer` });
          return;
        }
        if (cmd.body.op !== "begin") return;
        begins.push(Buffer.from(cmd.digest).toString("hex"));
        if (begins.length === 1) {
          // Takes the whole package and decides; the verdict event is lost on the way.
          d.reply(cmd.body, { ok: true, resumeFrom: 0 });
          void d.dev.publishAsync(d.t.ack, encodeAck({ session: cmd.body.session!, offset: cmd.body.package!.size, gap: false }), { qos: 1 });
        } else {
          d.reply(cmd.body, d.provenDone(cmd));
        }
      });
      const r = await d.flash();
      expect(r.verdict).toBe("confirmed");
      expect(begins.length).toBe(2);
      expect(queries).toBeGreaterThan(0);
    } finally {
      await d.close();
    }
  }, 30_000);
});
