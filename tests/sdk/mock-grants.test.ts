// The as-pect mock applies the manifest's grants as the device does (issue
// 13 item 5): a spec's call outside fwx.json's capabilities gets
// not-permitted. The mock's rules (assembly/testing/grants.js, plain
// JavaScript that ships to integrators) must agree with the agent's
// (src/caps/capabilities.ts), checked here case by case.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { allows, grantsKind, parseCapabilities, type Capabilities } from "../../src/caps/capabilities.js";
import { refusal } from "../../assembly/testing/grants.js";
import { MockHost, STATUS } from "../../assembly/testing/mock-host.js";
import { nearestManifest } from "../../assembly/testing/aspect.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";
import { aspectRunner } from "../../src/commands/test.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
function runSpecs(config: string) {
  // as-pect's runner, started as `fwx test` starts it.
  const r = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, ...aspectRunner(root), "--config", config], { cwd: root, encoding: "utf8", timeout: 120_000 });
  if (r.error) throw r.error;
  return r;
}

describe("as-pect specs against fwx.json's grants", () => {
  for (const config of ["tests/assembly/grants-project/as-pect.config.js", "tests/assembly/grants-project/as-pect.nearest.config.js"]) {
    it(`${config}: every call outside the grants is refused`, () => {
      const r = runSpecs(config);
      expect(r.stdout).toMatch(/grants\.spec\.ts .*Pass: 6 \/ 6/);
      expect(r.status).toBe(0);
    }, 150_000);
  }

  it('manifest "nearest" finds the fwx.json above a spec, and none above the SDK\'s own', () => {
    expect(nearestManifest("tests/assembly/grants-project/assembly/__tests__/grants.spec.ts", root)).toBe(`${root}/tests/assembly/grants-project/fwx.json`.replace(/\/+/g, "/"));
    expect(nearestManifest("examples/cold-chain-alarm/assembly/__tests__/cold-chain-alarm.spec.ts", root)).toBe(`${root}/examples/cold-chain-alarm/fwx.json`.replace(/\/+/g, "/"));
    expect(nearestManifest("assembly/__tests__/gpio.spec.ts", root)).toBeNull();
  });
});

describe("the mock's grant rules agree with the agent's", () => {
  const caps: Capabilities = parseCapabilities({
    timers: 2, kv: 64, sensors: ["cold_room"], gpio: [{ pin: 5, modes: ["output"] }, { pin: 2, modes: ["input-pull-up"] }],
    adc: [0], pwm: [1], uart: [2], i2c: [{ bus: 1, address: 0x48 }], spi: [{ bus: 0, cs: 1 }], telemetry: ["other/#", "exact/topic"],
  }, "caps");
  const none: Capabilities = {};
  const PIN_MODES = ["input", "input-pull-up", "input-pull-down", "output", "output-open-drain"];

  /** [function, decoded args, what the agent decides] */
  const agent = (c: Capabilities): [string, unknown[], boolean][] => [
    ["timer.start", [1, 100, 1], grantsKind(c, "timer")],
    ["kv.set", ["k", new Uint8Array(1)], grantsKind(c, "kv")],
    ...["cold_room", "ambient"].map((n): [string, unknown[], boolean] => ["sensor.find", [n, {}], allows.sensor(c, n)]),
    ...[[5, 3], [5, 0], [2, 1], [6, 3]].map(([pin, mode]): [string, unknown[], boolean] => ["gpio.claim", [pin, mode, {}], allows.gpio(c, pin!, PIN_MODES[mode!]!)]),
    ...[0, 1].map((ch): [string, unknown[], boolean] => ["adc.open", [ch, {}], allows.adc(c, ch)]),
    ...[1, 2].map((ch): [string, unknown[], boolean] => ["pwm.open", [ch, 1000, {}], allows.pwm(c, ch)]),
    ...[2, 1].map((p): [string, unknown[], boolean] => ["uart.open", [p, 9600, 0, 1, {}], allows.uart(c, p)]),
    ...[[1, 0x48], [1, 0x49], [0, 0x48]].map(([b, a]): [string, unknown[], boolean] => ["i2c.read", [b, a, new Uint8Array(2)], allows.i2c(c, b!, a!)]),
    ...[[0, 1], [0, 0]].map(([b, cs]): [string, unknown[], boolean] => ["spi.transfer", [b, cs, new Uint8Array(1), new Uint8Array(1)], allows.spi(c, b!, cs!)]),
    ...["other/a/b", "other", "exact/topic", "exact/topic/x", "thermo/relay"].map((t): [string, unknown[], boolean] => ["telemetry.publish", [t, new Uint8Array(1)], allows.telemetry(c, t)]),
  ];

  it("grants what the agent grants and refuses what it refuses", () => {
    for (const c of [caps, none]) {
      for (const [fn, args, granted] of agent(c)) expect({ fn, args: args.slice(0, 2), granted: refusal(c, fn, args) === null }).toEqual({ fn, args: args.slice(0, 2), granted });
    }
  });

  it("a MockHost with grants answers not-permitted with the device's detail; without grants it grants everything", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const put = (at: number, s: string) => { const b = new TextEncoder().encode(s); new Uint8Array(memory.buffer).set(b, at); return b.length; };
    const publish = (host: MockHost) => host.imports()["fwx:telemetry@1"]!.publish as unknown as (...a: number[]) => number;

    const granted = new MockHost({ grants: { telemetry: ["other/#"] } });
    granted.attach(memory);
    const n = put(0, "thermo/relay");
    expect(publish(granted)(0, n, 100, 1)).toBe(STATUS["not-permitted"]);
    expect(granted.calls.at(-1)).toMatchObject({ fn: "telemetry.publish", status: STATUS["not-permitted"], detail: 'telemetry.publish: "thermo/relay" is outside the grant other/#' });
    expect(granted.sim.published).toHaveLength(0);

    const open = new MockHost();
    open.attach(memory);
    expect(publish(open)(0, n, 100, 1)).toBe(STATUS.ok);
    expect(open.sim.published).toHaveLength(1);
  });
});
