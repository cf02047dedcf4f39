// Every subcommand, loaded lazily so `fwx validate` does not pay for the
// AssemblyScript compiler or the MQTT client.
import type { Command } from "./command.js";

export const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  build: { summary: "Compile an AssemblyScript module, validate it and report its size and RAM", load: async () => (await import("../commands/build.js")).command },
  ram: { summary: "Measure a module's RAM need on the simulator and set its budget from it", load: async () => (await import("../commands/ram.js")).command },
  validate: { summary: "Check any .wasm against the host ABI and what wasm3 can run", load: async () => (await import("../commands/validate.js")).command },
  new: { summary: "Scaffold an integrator project that builds and tests green", load: async () => (await import("../commands/new.js")).command },
  run: { summary: "Run modules or packages on the simulated board", load: async () => (await import("../commands/run.js")).command },
  test: { summary: "Run a project's AssemblyScript specs against the simulated device", load: async () => (await import("../commands/test.js")).command },
  replay: { summary: "Replay a recorded run against a module and report the first divergence", load: async () => (await import("../commands/replay.js")).command },
  keys: { summary: "Generate Ed25519 key pairs", load: async () => (await import("../commands/keys.js")).command },
  cert: { summary: "Certificates from the product root (integrators, operators, devices) and revocation lists", load: async () => (await import("../commands/cert.js")).command },
  pack: { summary: "Build a signed .fwx package", load: async () => (await import("../commands/pack.js")).command },
  verify: { summary: "Verify a .fwx package against a product root key", load: async () => (await import("../commands/verify.js")).command },
  inspect: { summary: "Show a package's manifest, capabilities, chain and sizes", load: async () => (await import("../commands/inspect.js")).command },
  agent: { summary: "Run the device agent (A/B slots, OTA over MQTT)", load: async () => (await import("../commands/agent.js")).command },
  broker: { summary: "Run the embedded MQTT broker", load: async () => (await import("../commands/broker.js")).command },
  flash: { summary: "Flash a package to a device over the air", load: async () => (await import("../commands/flash.js")).command },
  devices: { summary: "List devices, their modules, versions and slot states", load: async () => (await import("../commands/devices.js")).command },
  logs: { summary: "Show or follow a device's logs", load: async () => (await import("../commands/logs.js")).command },
  rollback: { summary: "Roll a module back to its previous slot", load: async () => (await import("../commands/rollback.js")).command },
  remove: { summary: "Remove a module from a device", load: async () => (await import("../commands/remove.js")).command },
  config: { summary: "Set a module's deploy-time configuration on a device", load: async () => (await import("../commands/config.js")).command },
  fleet: { summary: "Run the fleet service: device database, staged rollouts, HTTP API", load: async () => (await import("../commands/fleet.js")).command },
  rollout: { summary: "Create and steer staged rollouts on the fleet service", load: async () => (await import("../commands/rollout.js")).command },
  "fleet-sim": { summary: "Run N simulated gateways in one process (tests, benches, demos)", load: async () => (await import("../commands/fleet-sim.js")).command },
  board: { summary: "Serve a simulated board to a C device over the HAL bridge (fwx board serve)", load: async () => (await import("../commands/board.js")).command },
  demo: { summary: "The main job: build the examples and run them on the demo board (npm start)", load: async () => (await import("../commands/demo.js")).command },
};
