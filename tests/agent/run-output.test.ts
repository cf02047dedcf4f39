// What `fwx run` prints (issue 13, items 4 and 5): a long run of a polling
// module tells its story in a few lines by default, --show/--hide/--log-level
// choose what else is printed, every kind has one line format, and a call
// outside the grants shows up once, as the first refusal of its kind. The runs
// are runCli in this process under a time limit (tests/support/cli-in-process.ts:
// what a command prints and returns, as its process would).

import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ModuleBuilder, op } from "../fixtures/hostile/builder.js";
import { EVENT_KINDS } from "../../src/agent/event-filter.js";
import { runCliInProcess } from "../support/cli-in-process.js";

const dir = mkdtempSync(join(tmpdir(), "fwx-run-output-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const I32 = "i32" as const;
const TOPIC = "thermo/relay";
const TOPIC_AT = 32, WARN_AT = 64, INFO_AT = 96, RX_AT = 128;

/**
 * A polling module: every second it reads 2 bytes from the TMP102 at I2C bus 1
 * address 0x48 (the demo board's), publishes "thermo/relay" and logs "tick" at
 * info; every minute (timer 2) it logs "minute" at warn.
 */
function pollingModule(): Uint8Array {
  const b = new ModuleBuilder();
  const start = b.import("fwx:timer@1", "start", [I32, I32, I32], [I32]);
  const read = b.import("fwx:i2c@1", "read", [I32, I32, I32, I32], [I32]);
  const publish = b.import("fwx:telemetry@1", "publish", [I32, I32, I32, I32], [I32]);
  const log = b.import("fwx:core@1", "log", [I32, I32, I32], [I32]);
  b.mem(1).dataAt(TOPIC_AT, TOPIC).dataAt(WARN_AT, "minute").dataAt(INFO_AT, "tick");
  b.func("fwx_init", { params: [], results: [I32] }, [
    ...op.i32(1), ...op.i32(1000), ...op.i32(1), ...op.call(start), ...op.drop,
    ...op.i32(2), ...op.i32(60_000), ...op.i32(1), ...op.call(start), ...op.drop,
    ...op.i32(0),
  ], { export: true });
  b.func("fwx_on_timer", { params: [I32], results: [] }, [
    ...op.localGet(0), ...op.i32(2), ...op.i32Eq,
    ...op.if_([...op.i32(2), ...op.i32(WARN_AT), ...op.i32(6), ...op.call(log), ...op.drop, ...op.ret]),
    ...op.i32(1), ...op.i32(0x48), ...op.i32(RX_AT), ...op.i32(2), ...op.call(read), ...op.drop,
    ...op.i32(TOPIC_AT), ...op.i32(TOPIC.length), ...op.i32(RX_AT), ...op.i32(2), ...op.call(publish), ...op.drop,
    ...op.i32(1), ...op.i32(INFO_AT), ...op.i32(4), ...op.call(log), ...op.drop,
  ], { export: true });
  return b.build();
}

const wasm = join(dir, "poll.wasm");
writeFileSync(wasm, pollingModule());
const GRANTS = ["--grant", "timers:2", "--grant", "i2c:1:0x48"];

async function run(args: string[]) {
  const r = await runCliInProcess(["run", wasm, ...args], { timeoutMs: 120_000 });
  const lines = r.stdout.split("\n").filter((l) => l !== "");
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines, of: (kind: string) => lines.filter((l) => new RegExp(`^  \\S+  poll\\s+${kind} `).test(l)) };
}

describe("fwx run: what is printed", () => {
  it("a 2 h polling run prints its story by default, and every transaction with --show i2c", async () => {
    const base = [...GRANTS, "--grant", `telemetry:${TOPIC}`, "--duration", "2h"];
    const story = await run(base);
    expect(story.status).toBe(0);
    // 7200 reads, 7200 publishes and 7200 info logs happen; the story is the
    // telemetry, the 120 warnings and the two lifecycle lines.
    expect(story.of("i2c")).toHaveLength(0);
    expect(story.of("log")).toHaveLength(120);
    expect(story.of("telemetry")).toHaveLength(7200);
    expect(story.of("lifecycle")).toHaveLength(2);
    expect(story.lines).toHaveLength(1 + 2 + 120 + 7200 + 1);
    expect(story.stdout).toMatch(/done at 02:00:00\.000: poll: stopped, 0 faults, 0 restarts; \d+ events/);

    const quiet = await run([...base, "--hide", "telemetry"]);
    expect(quiet.lines).toHaveLength(1 + 2 + 120 + 1);

    const traffic = await run([...base, "--show", "i2c", "--hide", "telemetry,log"]);
    expect(traffic.of("i2c")).toHaveLength(7200);
    expect(traffic.lines).toHaveLength(1 + 2 + 7200 + 1);
    // The event log is the same whatever is printed.
    const events = (r: Awaited<ReturnType<typeof run>>) => /; (\d+) events/.exec(r.stdout)![1];
    expect(events(traffic)).toBe(events(story));
  }, 180_000);

  it("--log-level chooses the lowest module log level printed", async () => {
    const base = [...GRANTS, "--duration", "10m", "--hide", "telemetry,refused"];
    expect((await run([...base, "--log-level", "error"])).of("log")).toHaveLength(0);
    expect((await run([...base, "--log-level", "warn"])).of("log")).toHaveLength(10);
    const info = (await run([...base, "--log-level", "info"])).of("log");
    expect(info).toHaveLength(600 + 10);
    expect(info.filter((l) => /log\s+info\s+tick$/.test(l))).toHaveLength(600);
    expect(info.filter((l) => /log\s+warn\s+minute$/.test(l))).toHaveLength(10);
  }, 120_000);

  it("--show and --hide refuse an unknown kind (naming it and listing the kinds) or a kind given to both, with exit 2", async () => {
    for (const [option, value, bad] of [["--show", "i2c,bogus", "bogus"], ["--hide", "I2C", "I2C"], ["--show", ",", ","]] as const) {
      const r = await run([...GRANTS, "--duration", "1s", option, value]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`${option} ${bad}: unknown event kind "${bad}" (kinds: ${EVENT_KINDS.join(", ")})`);
      expect(r.stdout).toBe(""); // refused before the run
    }
    const both = await run([...GRANTS, "--duration", "1s", "--show", "i2c,gpio", "--hide", "telemetry,i2c"]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain("--show and --hide both name i2c: show a kind or hide it, not both");
    expect(both.stdout).toBe("");
    const level = await run([...GRANTS, "--duration", "1s", "--log-level", "loud"]);
    expect(level.status).toBe(2);
    expect(level.stderr).toContain("--log-level loud: expected debug, info, warn, error");
  }, 60_000);

  it("a publish outside the grant is refused, and the first refusal is printed once", async () => {
    const r = await run([...GRANTS, "--grant", "telemetry:other/#", "--duration", "10m"]);
    expect(r.status).toBe(0);
    const refused = r.of("refused");
    expect(refused).toEqual([`  00:00:01.000  poll      refused    not-permitted: telemetry.publish "${TOPIC}" is outside the grant other/#`]);
    expect(r.of("telemetry")).toHaveLength(0);
    // --json carries it too, as a structured event.
    const json = await run([...GRANTS, "--grant", "telemetry:other/#", "--duration", "10s", "--json"]);
    const events = json.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.filter((e) => e.kind === "refused")).toEqual([
      { t: "00:00:01.000", tUs: 1_000_000, module: "poll", kind: "refused", status: "not-permitted", call: "telemetry.publish", detail: `"${TOPIC}" is outside the grant other/#` },
    ]);
  }, 60_000);

  it("a project whose manifest grants telemetry only under other/#: the first refused publish is printed", async () => {
    // Inside the checkout (the gitignored /tmp/), so the project's `import ... from "fwx"` resolves to this SDK.
    const repoTmp = fileURLToPath(new URL("../../tmp/", import.meta.url));
    mkdirSync(repoTmp, { recursive: true });
    const project = mkdtempSync(join(repoTmp, "refused-"));
    try {
      cpSync(fileURLToPath(new URL("../../examples/cold-chain-alarm/", import.meta.url)), project, { recursive: true });
      const manifest = JSON.parse(readFileSync(join(project, "fwx.json"), "utf8"));
      manifest.capabilities.telemetry = ["other/#"];
      writeFileSync(join(project, "fwx.json"), JSON.stringify(manifest));
      const r = await runCliInProcess(["run", project, "--duration", "10m"], { timeoutMs: 120_000 });
      expect(r.status).toBe(0);
      const refused = r.stdout.split("\n").filter((l) => /\brefused\b/.test(l) && !l.startsWith("fwx run:"));
      expect(refused).toEqual(['  00:01:00.000  cold-chain-alarm  refused    not-permitted: telemetry.publish "cold-chain/reading" is outside the grant other/#']);
      expect(r.stdout).not.toMatch(/\btelemetry  cold-chain\//);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  }, 150_000);
});
