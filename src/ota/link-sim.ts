// A TCP proxy on loopback that makes a link slow, late, lossy and flaky, for
// tests and benchmarks. It sits between an MQTT client and the broker.
//
// Loss model. MQTT runs over TCP, so a lost IP packet never loses MQTT data:
// TCP retransmits it and everything behind it waits (head-of-line blocking).
// The proxy models exactly that: the byte stream is cut into segments of
// `mss` bytes; each segment is lost with probability `loss`, in which case
// it arrives only after the sender's retransmission timeout (`rtoMs`) and a
// second transmission, which also costs the link that segment's time again;
// segments sent meanwhile still use the link but are held back at the
// receiver until the lost one arrives (TCP delivers in order). Bandwidth is a serialisation delay
// per direction; latency is added after serialisation. Disconnects cut every
// connection through the proxy at once (both sides see a reset), like a
// cellular modem losing its bearer.

import { createServer, connect, type Server, type Socket } from "node:net";
import { seededRandom } from "../sim/prng.js";

export interface LinkProfile {
  /** Bits per second in each direction; 0 = unlimited. */
  bandwidthBps: number;
  /** One-way latency in ms. */
  latencyMs: number;
  /** Probability that a segment is lost and retransmitted. */
  loss: number;
  mss: number;
  rtoMs: number;
  seed: number;
}

export const DEFAULT_LINK: LinkProfile = { bandwidthBps: 0, latencyMs: 0, loss: 0, mss: 1400, rtoMs: 200, seed: 1 };

export interface LinkStats { upBytes: number; downBytes: number; retransmittedSegments: number; connections: number }


/** One direction of one connection: serialises, delays, loses and delivers in order. */
class Direction {
  private busyUntil = 0;
  private lastDelivery = 0;
  constructor(private readonly link: LinkSimulator, private readonly to: Socket, private readonly count: (n: number) => void) {}

  push(data: Buffer): void {
    const p = this.link.profile;
    this.count(data.length);
    for (let off = 0; off < data.length; off += p.mss) {
      const seg = data.subarray(off, Math.min(off + p.mss, data.length));
      const now = performance.now();
      const tx = p.bandwidthBps > 0 ? (seg.length * 8 * 1000) / p.bandwidthBps : 0;
      const done = Math.max(now, this.busyUntil) + tx;
      let arrives = done + p.latencyMs;
      this.busyUntil = done;
      if (p.loss > 0 && this.link.random() < p.loss) {
        // Lost: the sender retransmits after its timeout, which costs the link the segment's
        // transmission time once more; the receiver holds everything behind it (in-order delivery).
        this.link.stats.retransmittedSegments++;
        this.busyUntil += tx;
        arrives = done + p.rtoMs + tx + p.latencyMs;
      }
      const deliverAt = Math.max(arrives, this.lastDelivery);
      this.lastDelivery = deliverAt;
      const copy = Buffer.from(seg);
      const wait = deliverAt - now;
      if (wait <= 0.5) this.deliver(copy);
      else setTimeout(() => this.deliver(copy), wait);
    }
  }

  private deliver(seg: Buffer): void {
    if (!this.to.destroyed) this.to.write(seg);
  }
}

export class LinkSimulator {
  profile: LinkProfile;
  readonly stats: LinkStats = { upBytes: 0, downBytes: 0, retransmittedSegments: 0, connections: 0 };
  private server: Server | null = null;
  private readonly pairs = new Set<[Socket, Socket]>();
  private down = false;
  readonly random: () => number;
  port = 0;
  /** Sees every byte entering the link, per direction and connection (byte accounting in benchmarks). */
  tap: ((direction: "up" | "down", connection: number, data: Buffer) => void) | null = null;

  constructor(private readonly target: { host: string; port: number }, profile: Partial<LinkProfile> = {}) {
    this.profile = { ...DEFAULT_LINK, ...profile };
    this.random = seededRandom(this.profile.seed); // losses repeat run to run
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", () => resolve()));
    const a = this.server.address();
    this.port = typeof a === "object" && a ? a.port : 0;
    return this;
  }

  private accept(client: Socket): void {
    if (this.down) {
      client.destroy();
      return;
    }
    const id = ++this.stats.connections;
    const upstream = connect(this.target.port, this.target.host);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    // "up" = client → broker (the device's uplink when the device is the client).
    const up = new Direction(this, upstream, (n) => (this.stats.upBytes += n));
    const downDir = new Direction(this, client, (n) => (this.stats.downBytes += n));
    client.on("data", (d) => {
      this.tap?.("up", id, d);
      up.push(d);
    });
    upstream.on("data", (d) => {
      this.tap?.("down", id, d);
      downDir.push(d);
    });
    const close = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", close);
    upstream.on("close", close);
    client.on("error", close);
    upstream.on("error", close);
  }

  /** Cuts every connection now; with `forMs`, also refuses new ones for that long. */
  disconnect(forMs = 0): void {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
    if (forMs > 0) {
      this.down = true;
      setTimeout(() => { this.down = false; }, forMs);
    }
  }

  resetStats(): void {
    this.stats.upBytes = 0;
    this.stats.downBytes = 0;
    this.stats.retransmittedSegments = 0;
  }

  async close(): Promise<void> {
    this.disconnect();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
