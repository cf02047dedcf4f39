// The one place fwx opens an MQTT connection: the device agent, every field
// command and the fleet follower call connectBroker instead of mqtt.connect.
//
// mqtt.js's connect() loads every transport it has the first time it runs,
// whatever the URL: WebSocket (`ws`, which loads node:http and node:https)
// and SOCKS (`socks` and its address parser) beside TCP and TLS. That was
// 80-90 ms of CPU in every `fwx agent` and every field command, about a third
// of what `fwx devices` spends. For the URLs fwx's own brokers use, mqtt://
// (or tcp://) and mqtts://, the stream is built here with node:net and
// node:tls exactly as mqtt.js builds it (lib/connect/tcp.js and tls.js: the
// same default ports, SNI for a host name, the same check that the server's
// certificate was authorised), and mqtt.js's own client runs the protocol.
// Anything else keeps mqtt.connect's own handling, unchanged: ws:// and
// wss://, credentials or a query in the URL, a client certificate with
// mqtt:// (which mqtt.connect upgrades to TLS), and a SOCKS proxy from
// MQTTJS_SOCKS_PROXY.

import mqtt, { MqttClient, type IClientOptions } from "mqtt";
import { connect as netConnect, isIP } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";

/** How a broker URL is reached: a socket built here, or mqtt.connect for everything else. */
export type BrokerRoute = { kind: "tcp" | "tls"; host: string; port: number } | { kind: "mqtt.js" };

/** Decides the route from the URL alone (and MQTTJS_SOCKS_PROXY, which mqtt.connect honours). */
export function brokerRoute(url: string, env: NodeJS.ProcessEnv = process.env): BrokerRoute {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { kind: "mqtt.js" }; // mqtt.connect says what is wrong with it
  }
  const kind = u.protocol === "mqtt:" || u.protocol === "tcp:" ? "tcp" : u.protocol === "mqtts:" ? "tls" : null;
  if (kind === null || u.username || u.password || u.search || env.MQTTJS_SOCKS_PROXY) return { kind: "mqtt.js" };
  // WHATWG URL keeps an IPv6 literal's brackets; sockets take the bare address.
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1") || "localhost";
  return { kind, host, port: u.port ? Number(u.port) : kind === "tls" ? 8883 : 1883 };
}

/** mqtt.connect(url, options), without loading the transports the URL does not use (see the top of the file). */
export function connectBroker(url: string, given: IClientOptions): MqttClient {
  // writeCache: mqtt-packet otherwise fills a table of 65,536 two-byte Buffers (one per packet id) on the
  // first packet written, which cost every agent and field command about 40 ms of its life, most of it in
  // the garbage collector. Without it a packet id is written from a fresh 2-byte Buffer.
  const options: IClientOptions = { writeCache: false, ...given };
  const route = brokerRoute(url);
  // mqtt.connect turns mqtt:// into mqtts:// when given a client certificate; so does this, by leaving it that case.
  if (route.kind === "mqtt.js" || (route.kind === "tcp" && options.cert && options.key)) return mqtt.connect(url, options);
  const { host, port } = route;
  const opts: IClientOptions = { ...options, host, hostname: host, port, protocol: route.kind === "tls" ? "mqtts" : "mqtt" };
  // Called again for every reconnection, as mqtt.js's builders are.
  const client = new MqttClient((c) => (route.kind === "tls" ? tlsStream(c, opts) : netConnect({ host, port })), opts);
  // As mqtt.connect does: a connection error is an event for whoever listens, never an uncaught exception.
  client.on("error", () => {});
  return client;
}

/** mqtt.js's TLS stream (lib/connect/tls.js): a failed handshake or an unauthorised certificate is the client's error. */
function tlsStream(client: MqttClient, opts: IClientOptions) {
  const host = opts.host!;
  const rejectUnauthorized = opts.rejectUnauthorized !== false;
  const socket = tlsConnect({ ...(opts as ConnectionOptions), host, port: opts.port, rejectUnauthorized, ...(isIP(host) === 0 && !opts.servername ? { servername: host } : {}) });
  const onError = (err: Error) => {
    if (rejectUnauthorized) client.emit("error", err);
    socket.end();
  };
  socket.on("secureConnect", () => {
    if (rejectUnauthorized && !socket.authorized) socket.emit("error", new Error("TLS not authorized"));
    else socket.removeListener("error", onError);
  });
  socket.on("error", onError);
  return socket;
}
