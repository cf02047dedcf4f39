// Run by tests/ota/mqtt-connect.test.ts in a process of its own (scripts/run-ts.mjs keeps mqtt
// external, so this is node_modules' mqtt-packet, the one the client writes with): connects with
// connectBroker, publishes once at QoS 1 (a packet id is written), and prints how many entries
// mqtt-packet's packet-id table holds. Arguments: broker URL, then "default" or "true" (writeCache).
import { createRequire } from "node:module";
import { connectBroker } from "../../src/ota/mqtt-connect.js";

const [url, mode] = process.argv.slice(2);
const client = connectBroker(url!, { reconnectPeriod: 0, connectTimeout: 5000, ...(mode === "true" ? { writeCache: true } : {}) });
await new Promise<void>((ok, fail) => {
  client.once("connect", () => ok());
  client.once("error", fail);
});
await client.publishAsync("fwx-test/write-cache", "x", { qos: 1 });
await client.endAsync();
// Resolved from mqtt's own directory: the copy of mqtt-packet that mqtt writes with, wherever npm put it.
const fromMqtt = createRequire(createRequire(import.meta.url).resolve("mqtt"));
const numbers = fromMqtt("mqtt-packet/numbers.js") as { cache: Record<number, Buffer> };
console.log(Object.keys(numbers.cache).length);
