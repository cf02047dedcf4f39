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
import { openCommand, signStatement } from "../../src/ota/signed-command.js";
import { sha256Hex } from "../../src/ota/state-store.js";
import { MODULE, makePackage, makeTrust } from "./fixtures.js";

describe("flash: a verdict the device could not bind to this flash's begin", () => {
  let broker: RunningBroker;
  const trust = makeTrust();
  beforeAll(async () => { broker = await startBroker(); });
  afterAll(async () => { await broker.close(); });

  it("sends the signed begin again and takes the verdict the device proves for it", async () => {
    const id = "rebind-dev";
    const me = trust.identity(id);
    const cert = Buffer.from(me.deviceCert).toString("base64");
    const pkg = makePackage(trust, { version: "2.0.0", sequence: 1 });
    const sha = sha256Hex(pkg);
    const t = topicsFor(id);
    const dev = await mqtt.connectAsync(broker.url, { clientId: id, clean: true });
    const begins: string[] = [];
    try {
      await dev.publishAsync(t.presence, JSON.stringify({ online: true }), { qos: 1, retain: true });
      await dev.subscribeAsync(t.cmd, { qos: 1 });
      dev.on("message", (_topic, payload) => {
        const cmd = openCommand(payload);
        if (cmd?.body.op !== "begin") return;
        begins.push(Buffer.from(cmd.digest).toString("hex"));
        const session = cmd.body.session!;
        const reply = (body: object) => void dev.publishAsync(t.reply(cmd.body.from), JSON.stringify({ req: cmd.body.req, ok: true, ...body }), { qos: 1 });
        if (begins.length === 1) {
          // Accept, take the whole package, then "restart": the verdict has no proof for this begin.
          reply({ resumeFrom: 0 });
          void dev.publishAsync(t.ack, encodeAck({ session, offset: cmd.body.package!.size, gap: false }), { qos: 1 });
          void dev.publishAsync(t.event, JSON.stringify({ session, module: MODULE, phase: "trial", ts: Date.now(), package: sha }), { qos: 1 });
          void dev.publishAsync(t.event, JSON.stringify({ session, module: MODULE, phase: "confirmed", ts: Date.now(), package: sha, reason: "3 callbacks" }), { qos: 1 });
        } else {
          // The same flash asks again: the verdict already reached, proven for this begin.
          const proof = signStatement({ device: id, request: cmd.digest, outcome: "confirmed", package: sha, module: MODULE }, me.deviceKey);
          reply({ done: { session, module: MODULE, phase: "confirmed", package: sha, reason: "3 callbacks" }, proof, cert });
        }
      });
      const r = await flash({ brokerUrl: broker.url, device: id, pkg, cache: null, auth: trust.auth, replyTimeoutMs: 3000, verdictTimeoutMs: 8000, stallTimeoutMs: 8000 });
      expect(r.verdict).toBe("confirmed");
      expect(begins.length).toBe(2);
    } finally {
      await dev.publishAsync(t.presence, "", { qos: 1, retain: true });
      await dev.endAsync(true);
    }
  }, 30_000);

  it("asks again when the device says the transfer is over but its verdict event never came", async () => {
    const id = "lost-verdict-dev";
    const me = trust.identity(id);
    const cert = Buffer.from(me.deviceCert).toString("base64");
    const pkg = makePackage(trust, { version: "3.0.0", sequence: 2 });
    const sha = sha256Hex(pkg);
    const t = topicsFor(id);
    const dev = await mqtt.connectAsync(broker.url, { clientId: id, clean: true });
    const begins: string[] = [];
    let queries = 0;
    try {
      await dev.publishAsync(t.presence, JSON.stringify({ online: true }), { qos: 1, retain: true });
      await dev.subscribeAsync(t.cmd, { qos: 1 });
      dev.on("message", (_topic, payload) => {
        const cmd = openCommand(payload);
        if (!cmd) {
          // Reading operations are plain JSON. After its verdict a device no longer holds the transfer.
          const q = JSON.parse(payload.toString()) as { op: string; req: string; from: string; session: number };
          if (q.op !== "query") return;
          queries++;
          void dev.publishAsync(t.reply(q.from), JSON.stringify({ req: q.req, ok: false, code: "superseded", message: `session ${q.session} is no longer the device's transfer` }), { qos: 1 });
          return;
        }
        const reply = (body: object) => void dev.publishAsync(t.reply(cmd.body.from), JSON.stringify({ req: cmd.body.req, ...body }), { qos: 1 });
        const session = cmd.body.session!;
        if (cmd.body.op !== "begin") return;
        begins.push(Buffer.from(cmd.digest).toString("hex"));
        if (begins.length === 1) {
          // Takes the whole package and decides; the verdict event is lost on the way.
          reply({ ok: true, resumeFrom: 0 });
          void dev.publishAsync(t.ack, encodeAck({ session, offset: cmd.body.package!.size, gap: false }), { qos: 1 });
        } else {
          const proof = signStatement({ device: id, request: cmd.digest, outcome: "confirmed", package: sha, module: MODULE }, me.deviceKey);
          reply({ ok: true, done: { session, module: MODULE, phase: "confirmed", package: sha, reason: "3 callbacks" }, proof, cert });
        }
      });
      const r = await flash({ brokerUrl: broker.url, device: id, pkg, cache: null, auth: trust.auth, replyTimeoutMs: 3000, verdictTimeoutMs: 8000, stallTimeoutMs: 8000 });
      expect(r.verdict).toBe("confirmed");
      expect(begins.length).toBe(2);
      expect(queries).toBeGreaterThan(0);
    } finally {
      await dev.publishAsync(t.presence, "", { qos: 1, retain: true });
      await dev.endAsync(true);
    }
  }, 30_000);
});
