// `fwx flash` as a function: announce the transfer, stream chunks through a
// sliding window, resume from the device's acknowledged offset after any
// interruption, then wait for the device's verdict.

import { randomInt } from "node:crypto";
import { readPackageUnverified } from "../pkg/index.js";
import { encodeDelta } from "./delta.js";
import { PackageCache } from "./package-cache.js";
import { decodeAck, DEFAULT_CHUNK_BYTES, encodeChunk, isVerdict, MAX_SESSION, parseJson, topicsFor, type DeltaSpec, type InstallEvent, type Verdict } from "./protocol.js";
import { DeviceRefused, DeviceUnreachable, ToolConnection, type OperatorAuth, type ProvenReply } from "./rpc.js";
import { verifyStatement } from "./signed-command.js";
import { sha256Hex } from "./state-store.js";
import type { MqttSecurity } from "./transport.js";

export interface FlashProgress {
  phase: "connecting" | "transferring" | "installing" | "done";
  mode: "full" | "delta";
  acked: number;
  total: number;
  /** Bytes per second over the transfer so far (acknowledged bytes). */
  rate: number;
  etaSeconds: number | null;
  /** The device's latest install step while installing. */
  step?: string;
}

export interface FlashOptions {
  brokerUrl: string;
  /** TLS and credentials (src/ota/transport.ts). */
  security?: MqttSecurity;
  device: string;
  pkg: Uint8Array;
  /** The operator's key and certificate (the begin is signed) and the root the device's answers must chain to. */
  auth: OperatorAuth;
  /** Replace the device's current transfer even if it still makes progress (an operator's deliberate choice; signed). */
  preempt?: boolean;
  chunkBytes?: number;
  /** Chunks in flight. */
  window?: number;
  /** Delta base lookup; null disables deltas. */
  cache?: PackageCache | null;
  /** Computes the delta from the base package `baseSha` (default: encodeDelta each time); a rollout gives one that computes it once per base. */
  deltaFrom?(baseSha: string, base: Uint8Array): Uint8Array | Promise<Uint8Array>;
  delta?: boolean;
  connectTimeoutMs?: number;
  replyTimeoutMs?: number;
  /** Give up when no byte is acknowledged for this long, and when the device stops answering for this long while it installs. */
  stallTimeoutMs?: number;
  /** Longest wait for the verdict while the device keeps answering (default 10 min; the device's own health timeout decides first). */
  verdictTimeoutMs?: number;
  onProgress?(p: FlashProgress): void;
  signal?: AbortSignal;
  clientId?: string;
}

export interface FlashResult {
  verdict: Verdict;
  reason: string;
  code?: string;
  event: InstallEvent | null;
  module: string;
  version: string;
  mode: "full" | "delta";
  packageBytes: number;
  transferBytes: number;
  resumedFrom: number;
  /** Device offsets the transfer continued from after each interruption (reconnect or retransmission timeout). */
  resumes: number[];
  /** Chunk payload bytes published (resends included). */
  sentBytes: number;
  /** Chunks resent at once because the device reported them missing (GAP acks). */
  gapResends: number;
  /** From the begin command to the device's acknowledgement of the last byte. */
  transferMs: number;
  totalMs: number;
}

export class FlashAborted extends Error {
  constructor() {
    super("flash aborted");
    this.name = "FlashAborted";
  }
}

/** The package could not be read locally (exit code 2). */
export class BadPackage extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadPackage";
  }
}

/** Default chunks in flight. The device acknowledges every half window, so the window must cover half a window plus the link's bandwidth-delay product; 16 KiB does up to about 1 Mbit/s at 100 ms. */
export const DEFAULT_WINDOW_CHUNKS = 16;

/**
 * Chunks sent right behind the begin, before its reply: they keep the link busy during the begin's round trip
 * (at 20 kbit/s and 50 ms one way, about one chunk's worth). Few, because a resuming device drops those below
 * its offset: a resume costs at most these bytes again.
 */
export const PIPELINED_CHUNKS = 2;

/** A fresh 16-bit session nonce, never `avoid` (the session it replaces). */
function newSession(avoid: number): number {
  for (;;) {
    const s = randomInt(1, MAX_SESSION + 1);
    if (s !== avoid) return s;
  }
}

export async function flash(opts: FlashOptions): Promise<FlashResult> {
  const t0 = performance.now();
  const chunk = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const windowChunks = opts.window ?? DEFAULT_WINDOW_CHUNKS;
  const peek = (() => {
    try {
      return readPackageUnverified(opts.pkg);
    } catch (e) {
      throw new BadPackage(`not a package: ${(e as Error).message}`);
    }
  })();
  if ("error" in peek.manifest) throw new BadPackage(`package manifest is unreadable: ${peek.manifest.error}`);
  const manifest = peek.manifest;
  const pkgSha = sha256Hex(opts.pkg);
  const topics = topicsFor(opts.device);
  const progress = (p: Omit<FlashProgress, "mode">) => opts.onProgress?.({ mode, ...p });
  let mode: "full" | "delta" = "full";
  progress({ phase: "connecting", acked: 0, total: opts.pkg.length, rate: 0, etaSeconds: null });

  const conn = await ToolConnection.open({ brokerUrl: opts.brokerUrl, connectTimeoutMs: opts.connectTimeoutMs ?? 5000, ...(opts.clientId ? { clientId: opts.clientId } : {}), ...(opts.security ? { security: opts.security } : {}) });
  try {
    // Everything the device says about this flash: acks, install events, presence.
    let onAck: (offset: number, gap: boolean, session: number) => void = () => {};
    let onEvent: (e: InstallEvent) => void = () => {};
    let watchPresence: (online: boolean) => void = () => {};
    // Kept through every phase: a device that dies right after its last ack goes offline before the
    // verdict wait below has begun, and its coming back must still be seen as a restart.
    let presence = { online: true, wentOffline: false };
    conn.onMessage((topic, payload) => {
      if (topic === topics.presence) {
        try {
          const online = parseJson<{ online?: boolean }>(payload, "presence").online === true;
          presence = { online, wentOffline: presence.wentOffline || !online };
          watchPresence(online);
        } catch { /* not presence */ }
        return;
      }
      if (topic === topics.ack) {
        try {
          const a = decodeAck(payload);
          onAck(a.offset, a.gap, a.session);
        } catch { /* not an ack */ }
      } else if (topic === topics.event) {
        try {
          onEvent(parseJson<InstallEvent>(payload, "event"));
        } catch { /* not an event */ }
      }
    });
    await conn.waitOnline(opts.device, opts.connectTimeoutMs ?? 5000);
    await conn.subscribe([topics.ack], 0);
    await conn.subscribe([topics.event], 1);

    // Delta against the device's confirmed package, when the tool has those bytes.
    let body = opts.pkg;
    let delta: DeltaSpec | null = null;
    const status = await conn.status(opts.device, 500);
    const mod = status?.modules.find((m) => m.id === manifest.id);
    const claimed = mod?.confirmed === "A" || mod?.confirmed === "B" ? mod.slots[mod.confirmed]?.sha256 : undefined;
    const baseSha = typeof claimed === "string" && /^[0-9a-f]{64}$/.test(claimed) ? claimed : undefined;
    // No delta to the package the device already runs: the full begin gets its verdict back at once.
    const base = baseSha && baseSha !== pkgSha && opts.delta !== false && opts.cache ? opts.cache.get(baseSha) : null;
    if (base && baseSha) {
      const d = opts.deltaFrom ? await opts.deltaFrom(baseSha, base) : encodeDelta(base, opts.pkg);
      if (d.length < opts.pkg.length) {
        body = d;
        mode = "delta";
        delta = { base: baseSha, size: d.length, sha256: sha256Hex(d) };
      }
    }

    let session = newSession(0);
    const replyTimeout = opts.replyTimeoutMs ?? 5000;
    // The package's own certificate says which customers and groups it is for: the device refuses a wrong one at the begin.
    const scope = "error" in peek.certificate ? {} : { customers: peek.certificate.customers, ...(peek.certificate.groups ? { groups: peek.certificate.groups } : {}) };
    // Subscribed before the begin goes out, so the begin is published synchronously, ahead of the pipelined chunks.
    await conn.subscribe([topics.reply(conn.clientId)], 1);
    /** Digests of every begin this flash sent: a verdict counts only when the device signed it bound to one of them. */
    const begins = new Set<string>();
    const sendBegin = async (): Promise<ProvenReply> => {
      const p = conn.signedRequest(opts.device, {
        op: "begin", module: manifest.id, session, window: windowChunks,
        package: { version: manifest.version, sequence: manifest.sequence, size: opts.pkg.length, sha256: pkgSha },
        ...(delta ? { delta } : {}), ...scope, ...(opts.preempt ? { preempt: true } : {}),
      // An accepting answer with an offset needs no proof (it decides nothing: a lie about the offset
      // ends in a transfer the device fails on its hash, and the verdict is proven); a verdict or a refusal does.
      }, opts.auth, replyTimeout, { repeat: true, acceptUnproven: (r) => r.ok && r.done === undefined, onSend: (d) => begins.add(Buffer.from(d).toString("hex")) });
      return p;
    };
    /** The verdict of an event, if the device proved it for this package and one of this flash's begins; null otherwise (ignored). */
    const provenVerdict = (e: InstallEvent): InstallEvent | null => {
      try {
        const st = verifyStatement(e.proof, e.cert ?? conn.deviceCert(opts.device), { rootPublicKey: opts.auth.rootPublicKey, device: opts.device, revoked: opts.auth.revoked ?? null });
        if (!begins.has(Buffer.from(st.request).toString("hex")) || st.package !== pkgSha || st.outcome !== e.phase) return null;
        return e;
      } catch {
        return null;
      }
    };
    /**
     * Sends the begin again (the same request, signed anew with the next counter), so that the device binds
     * the verdict to it, or answers with the verdict it already reached as a proven `done`. Used when the device restarted mid-install: a C device
     * keeps the begin with the transfer, which the install consumed.
     */
    let lastRebind = -Infinity;
    const rebind = () => {
      // At most one a second: forged events must not make this flash flood the device with begins.
      if (performance.now() - lastRebind < 1000) return;
      lastRebind = performance.now();
      sendBegin().then((proven) => {
        const r = proven.reply;
        const st = proven.statement;
        if (r.done && st && isVerdict(st.outcome) && st.package === pkgSha && !verdictEvent) {
          verdictEvent = { ...(r.done as InstallEvent), phase: st.outcome, package: pkgSha };
          verdictWake();
        }
      }, () => { /* the poll and the timeouts decide what a silent device means */ });
    };

    const resumes: number[] = [];
    const verdictFromEvent = (e: InstallEvent, transferMs: number, resumedFrom: number, sentBytes: number): FlashResult => ({
      verdict: e.phase as Verdict, reason: e.reason ?? "", ...(e.code ? { code: e.code } : {}), event: e,
      module: manifest.id, version: manifest.version, mode, packageBytes: opts.pkg.length, transferBytes: body.length,
      resumedFrom, resumes, sentBytes, gapResends, transferMs, totalMs: performance.now() - t0,
    });
    let verdictEvent: InstallEvent | null = null;
    let verdictWake: () => void = () => {};
    let resumedFrom = 0;
    let acked = 0;
    let next = 0;
    let sent = 0;
    /** False until the device answered the begin: only the pipelined first chunks may be in flight. */
    let began = false;
    let lastGapResend = -1;
    let gapResends = 0;
    const tBegin = performance.now();
    let lastProgressAt = tBegin;
    const report = () => {
      const secs = (performance.now() - tBegin) / 1000;
      const rate = secs > 0 ? (acked - resumedFrom) / secs : 0;
      progress({ phase: "transferring", acked, total: body.length, rate, etaSeconds: rate > 0 ? (body.length - acked) / rate : null });
    };
    const sendAt = (offset: number) => {
      const data = body.subarray(offset, Math.min(offset + chunk, body.length));
      conn.client.publish(topics.chunk, encodeChunk(session, offset, data), { qos: 0 });
      sent += data.length;
    };
    const pump = () => {
      if (!conn.client.connected) return;
      const windowBytes = (began ? windowChunks : Math.min(windowChunks, PIPELINED_CHUNKS)) * chunk;
      while (next < body.length && next - acked < windowBytes) {
        sendAt(next);
        next = Math.min(next + chunk, body.length);
      }
    };

    // Verdict listener first, so an instant refusal is not missed.
    onEvent = (e) => {
      if (e.session !== session && e.package !== pkgSha) return;
      if (isVerdict(e.phase)) {
        // Only what the device signed: a forged "confirmed" on the event topic is not a verdict.
        const proven = provenVerdict(e);
        // A verdict for this package that is not proven for one of this flash's begins: the device lost
        // the begin (it restarted), or the event is forged. Either way a signed begin again settles it.
        if (!proven) return e.package === pkgSha ? rebind() : undefined;
        verdictEvent = proven;
        verdictWake();
      } else progress({ phase: "installing", acked: body.length, total: body.length, rate: 0, etaSeconds: null, step: e.phase });
    };

    report();
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearInterval(watchdog);
        conn.client.off("connect", onReconnect);
        opts.signal?.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve();
      };
      const onAbort = () => finish(new FlashAborted());
      if (opts.signal?.aborted) return finish(new FlashAborted());
      opts.signal?.addEventListener("abort", onAbort);
      verdictWake = () => finish();
      // Acks are handled from the start: those of pipelined chunks may overtake the begin's reply.
      onAck = (offset, gap, s) => {
        if (s !== session) return;
        if (offset > acked) {
          acked = offset;
          lastProgressAt = performance.now();
          if (next < acked) next = acked;
          report();
        }
        if (gap && offset !== lastGapResend && offset < body.length) {
          // The device saw a later chunk: exactly this one went missing.
          lastGapResend = offset;
          gapResends++;
          sendAt(offset);
        }
        if (acked >= body.length) finish();
        else pump();
      };
      /** The device's answer to a begin: the offset it continues from, or null when it already has a verdict. */
      const onBeginReply = (proven: ProvenReply, resync: boolean): number | null => {
        const r = proven.reply;
        presence.wentOffline = false; // the device has this begin now
        if (r.done) {
          // Proven by the device for this begin: its statement names the verdict and the package.
          const st = proven.statement;
          if (!st || !isVerdict(st.outcome) || st.package !== pkgSha) throw new DeviceRefused("bad-proof", `device ${opts.device} answered with a verdict it did not prove for this package`);
          verdictEvent = { ...(r.done as InstallEvent), phase: st.outcome, package: pkgSha };
          finish();
          return null;
        }
        // Unproven (an accepted begin carries no proof): a lie may cost this transfer, never its arithmetic. An
        // offset that is not a byte count is 0; one past the end is the end (the device then fails it on its hash).
        const claimed = Number(r.resumeFrom ?? 0);
        const from = Number.isSafeInteger(claimed) && claimed >= 0 ? Math.min(claimed, body.length) : 0;
        began = true;
        if (resync) {
          // The device's durable offset is the truth; it never goes below an offset it acknowledged.
          // Everything after it is sent again: whatever was in flight may be lost.
          acked = from;
          next = from;
        } else {
          // First answer: acks of pipelined chunks may already be in; pipelined chunks below `from` are dropped by the device.
          acked = Math.max(acked, from);
          next = Math.max(next, acked);
        }
        lastProgressAt = performance.now();
        if (acked >= body.length) finish();
        else pump();
        return from;
      };
      const start = async () => {
        try {
          let reply: Promise<ProvenReply> = sendBegin();
          // The begin and the first chunks share the link: no idle round trip before the data.
          pump();
          let r: ProvenReply;
          try {
            r = await reply;
          } catch (e) {
            if (!(e instanceof DeviceRefused && e.code === "base-mismatch" && mode === "delta")) throw e;
            // The device's confirmed package is not the delta's base: send the package itself, under a new
            // session so no pipelined delta chunk still in flight can land in the new transfer.
            mode = "full";
            body = opts.pkg;
            delta = null;
            session = newSession(session);
            acked = next = sent = 0;
            reply = sendBegin();
            pump();
            r = await reply;
          }
          resumedFrom = onBeginReply(r, false) ?? 0;
        } catch (e) {
          finish(e as Error);
        }
      };
      // Whatever happened while disconnected, the device's acknowledged offset is the truth.
      const resync = async () => {
        try {
          const from = onBeginReply(await sendBegin(), true);
          if (from !== null) resumes.push(from);
        } catch (e) {
          if (e instanceof DeviceUnreachable) return; // retried by the watchdog
          finish(e as Error);
        }
      };
      const onReconnect = () => void (began && resync());
      conn.client.on("connect", onReconnect);
      let lastQueryAt = performance.now();
      const stallTimeout = opts.stallTimeoutMs ?? 60_000;
      const watchdog = setInterval(() => {
        const now = performance.now();
        if (now - lastProgressAt > stallTimeout) return finish(new DeviceUnreachable(`no progress for ${Math.round(stallTimeout / 1000)} s at byte ${acked} of ${body.length}`));
        if (!began) return; // the begin's own retries and timeout cover this phase
        // Rough retransmission timeout: three windows' worth of time at the observed rate, at least 2 s.
        // The rate is measured up to the last progress, so a stall does not stretch its own timeout.
        const secs = (lastProgressAt - tBegin) / 1000;
        const rate = secs > 0.5 && acked > resumedFrom ? (acked - resumedFrom) / secs : 2000;
        const rto = Math.min(15_000, Math.max(2000, (3 * windowChunks * chunk * 1000) / rate));
        if (now - lastProgressAt > rto && now - lastQueryAt > rto && conn.client.connected) {
          lastQueryAt = now;
          void resync();
        }
      }, 250);
      void start();
    });

    // From the begin command to the last acknowledgement: what the link costs.
    const transferMs = performance.now() - tBegin;
    // A verdict already in (the device had decided this package, or refused it mid-transfer) takes the same way out below.
    const verdictTimeout = opts.verdictTimeoutMs ?? 600_000;
    const silenceTimeout = opts.stallTimeoutMs ?? 60_000;
    const e = await new Promise<InstallEvent>((resolve, reject) => {
      if (verdictEvent) return resolve(verdictEvent);
      // The device is watched while it installs: its presence, and answers to a query every few seconds.
      // A device that died (or whose agent stopped) ends the wait after the silence timeout, not the verdict timeout.
      let lastSign = performance.now();
      const stopAll = () => {
        clearTimeout(hard);
        clearInterval(poll);
        opts.signal?.removeEventListener("abort", onAbort);
        watchPresence = () => {};
      };
      const hard = setTimeout(() => {
        stopAll();
        reject(new DeviceUnreachable(`transfer complete, but no verdict from ${opts.device} within ${Math.round(verdictTimeout / 1000)} s`));
      }, verdictTimeout);
      const pollMs = Math.max(250, Math.min(2000, silenceTimeout / 4));
      const poll = setInterval(() => {
        if (performance.now() - lastSign > silenceTimeout) {
          stopAll();
          reject(new DeviceUnreachable(`${opts.device} ${presence.online ? "stopped answering" : "went offline"} during the install: nothing from it for ${Math.round(silenceTimeout / 1000)} s`));
          return;
        }
        conn.request(opts.device, { op: "query", session }, pollMs).then(() => { lastSign = performance.now(); }, (err) => {
          if (!(err instanceof DeviceRefused)) return;
          lastSign = performance.now();
          // The device no longer holds this transfer: it reached a verdict (or another tool took over).
          // Its verdict event did not get here, so ask for the verdict itself, proven for a begin of ours.
          if (err.code === "superseded") rebind();
        });
      }, pollMs);
      watchPresence = (online) => {
        if (!online) return;
        lastSign = performance.now();
        if (presence.wentOffline) {
          presence.wentOffline = false;
          rebind();
        }
      };
      // Offline and back again before this wait began (a crash right after the last ack).
      if (presence.online && presence.wentOffline) watchPresence(true);
      const onAbort = () => { stopAll(); reject(new FlashAborted()); };
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      verdictWake = () => {
        stopAll();
        resolve(verdictEvent!);
      };
    });
    const result = verdictFromEvent(e, transferMs, resumedFrom, sent);
    progress({ phase: "done", acked: body.length, total: body.length, rate: 0, etaSeconds: 0, step: e.phase });
    if (result.verdict === "confirmed") opts.cache?.put(opts.pkg);
    return result;
  } finally {
    await conn.close();
  }
}
