// Attributes the bytes on a link to MQTT packets, for the OTA benchmark's
// byte accounting: every byte of the TCP payload (both directions) lands in
// exactly one packet, and each packet in one bucket (PUBLISH by topic's last
// level, the other packet types by name). MQTT 3.1.1 framing: one type byte,
// a 1–4 byte remaining length, then the rest.

const PACKET_TYPES = ["reserved", "connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp", "subscribe", "suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect", "auth"];

export interface TallyEntry { packets: number; bytes: number }

/** Splits one direction of one connection into packets; `onPacket` gets each whole packet. */
export class MqttStreamSplitter {
  private buf = Buffer.alloc(0);
  constructor(private readonly onPacket: (packet: Buffer) => void) {}

  push(data: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : Buffer.from(data);
    for (;;) {
      let len = 0, mul = 1, i = 1;
      for (;;) {
        if (i >= this.buf.length) return;
        const b = this.buf[i++]!;
        len += (b & 0x7f) * mul;
        if ((b & 0x80) === 0) break;
        mul *= 128;
        if (i > 4) throw new Error("MQTT stream: remaining length longer than 4 bytes");
      }
      if (this.buf.length < i + len) return;
      this.onPacket(this.buf.subarray(0, i + len));
      this.buf = this.buf.subarray(i + len);
    }
  }
}

/** A PUBLISH packet's topic and payload, or null for other packet types. */
export function parsePublish(packet: Buffer): { topic: string; payload: Buffer } | null {
  if (packet[0]! >> 4 !== 3) return null;
  let i = 1;
  while (packet[i]! & 0x80) i++;
  i++;
  const topicLength = packet.readUInt16BE(i);
  const topic = packet.subarray(i + 2, i + 2 + topicLength).toString("utf8");
  const qos = (packet[0]! >> 1) & 3;
  return { topic, payload: packet.subarray(i + 2 + topicLength + (qos > 0 ? 2 : 0)) };
}

/** "publish <topic level after the device id>" for PUBLISH (reply/<client> → "reply"), the packet type's name otherwise. */
export function packetBucket(packet: Buffer): string {
  const p = parsePublish(packet);
  if (!p) return PACKET_TYPES[packet[0]! >> 4] ?? "?";
  return `publish ${p.topic.split("/")[3] ?? p.topic}`;
}

/** Per direction, per bucket: packets and bytes. */
export class LinkTally {
  readonly entries = new Map<string, TallyEntry>();
  private readonly splitters = new Map<string, MqttStreamSplitter>();
  private frozen = false;

  /** `last(direction, packet)` true marks the last packet counted: the tally stops after it. */
  constructor(private readonly last: (direction: "up" | "down", packet: Buffer) => boolean = () => false) {}

  /** Feeds raw bytes of one direction of one connection. */
  feed(direction: "up" | "down", connection: number, data: Buffer): void {
    const key = `${direction}#${connection}`;
    let s = this.splitters.get(key);
    if (!s) {
      s = new MqttStreamSplitter((p) => {
        if (this.frozen) return;
        const name = `${direction} ${packetBucket(p)}`;
        const e = this.entries.get(name) ?? { packets: 0, bytes: 0 };
        e.packets++;
        e.bytes += p.length;
        this.entries.set(name, e);
        if (this.last(direction, p)) this.frozen = true;
      });
      this.splitters.set(key, s);
    }
    s.push(data);
  }

  get totalBytes(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.bytes;
    return n;
  }

  get stopped(): boolean {
    return this.frozen;
  }
}
