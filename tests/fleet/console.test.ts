// (Page-side conditions are strings: this file is type-checked without the DOM library.)
//
// The web console in a real browser: Debian's Chromium, headless, driven by
// playwright-core, against the fleet service on a real Mosquitto with
// simulated gateways. Start a rollout from the page, watch its first wave
// halt when the faulty version reverts, cancel it with confirmation, and
// check that the other devices were never touched; a device's crash report
// named at the integrator's file:line through the uploaded debug map.

import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { buildModule } from "../../src/build/build.js";
import { FAULT_LINE, faultyProject } from "../build/faulty-project.js";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";
import mqtt from "mqtt";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureChromium } from "../../scripts/ensure-chromium.mjs";
import { startFleetService, type FleetService } from "../../src/fleet/service.js";
import { startFleetSim, type FleetSim } from "../../src/fleet/sim.js";
import { parseMaxFailures, parseTarget, parseWaves } from "../../src/fleet/rollout-plan.js";
import { CUSTOMER, GROUP, makePackage, makeTrust, tickerWasm } from "../ota/fixtures.js";
import { mosquittoBinary, mosquittoBroker, type TestBroker } from "../ota/brokers.js";

const repo = resolve(import.meta.dirname, "../..");
const bin = mosquittoBinary();
if (!bin) throw new Error("mosquitto is not available (scripts/ensure-mosquitto.mjs could not install it)");
const chromiumPath = ensureChromium();
if (!chromiumPath) throw new Error("chromium is not available (scripts/ensure-chromium.mjs could not install it)");

/** What works headless on these machines (docs: .library machines/node.md): no sandbox as root, no background networking. */
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

describe("fleet console in headless Chromium", { timeout: 120_000 }, () => {
  const trust = makeTrust();
  const dir = mkdtempSync(join(tmpdir(), "fwx-fleet-console-"));
  let broker: TestBroker;
  let sim: FleetSim;
  let svc: FleetService;
  let browser: Browser;
  beforeAll(async () => {
    const consoleDir = join(dir, "console");
    await build({ configFile: join(repo, "console/vite.config.ts"), logLevel: "error", build: { outDir: consoleDir, emptyOutDir: true } });
    broker = await mosquittoBroker(bin, dir);
    sim = await startFleetSim({ count: 4, brokerUrl: broker.url, rootKey: trust.rootKey, dir: join(dir, "devices"), customers: [CUSTOMER], groups: [GROUP], speed: 1, health: { callbacks: 3, seconds: 0.3, timeoutSeconds: 5 } });
    svc = await startFleetService({ db: join(dir, "fleet.db"), brokerUrl: broker.url, shareGroup: "fwx-fleet", port: 0, auth: trust.auth, cacheDir: null, deviceTimeoutMs: 20_000, tickMs: 100, consoleDir });
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
    await sim?.stop();
    await broker?.close();
    if (process.env.KEEP_SCREENSHOTS) console.log(`screenshots kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });

  it("starts a rollout from the page, shows its first wave halt, cancels it; the other devices are never touched", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(svc.url);
    await page.waitForFunction(`document.querySelectorAll("tr[data-device]").length === 4`, null, { timeout: 20_000 });
    expect(await page.locator("tr[data-device] .pill.ok").count()).toBe(4);
    await page.getByLabel("filter group").fill("nope");
    await page.waitForFunction(`document.querySelectorAll("tr[data-device]").length === 0`);
    await page.getByLabel("filter group").fill("");
    await page.waitForFunction(`document.querySelectorAll("tr[data-device]").length === 4`);
    await page.screenshot({ path: join(dir, "fleet.png") });

    await page.getByRole("button", { name: "Rollouts" }).click();
    const badWasm = tickerWasm({ behaviour: "fault-on-timer" });
    const bad = makePackage(trust, { version: "2.0.0", sequence: 2, wasm: badWasm });
    await page.setInputFiles("input[name=package]", { name: "ticker-2.0.0.fwx", mimeType: "application/octet-stream", buffer: Buffer.from(bad) });
    await page.fill("input[name=target]", `customer=${CUSTOMER}`);
    await page.fill("input[name=waves]", "1,100%");
    await page.fill("input[name=maxFailures]", "0");
    await page.getByRole("button", { name: "Start rollout" }).click();
    const card = page.locator("article.rollout.halted");
    await card.waitFor({ timeout: 30_000 });
    expect(await card.locator(".halt").textContent()).toMatch(/^wave 1 of 2: 1 of 1 devices failed.*sim-1 reverted/);
    expect(await card.locator("[data-wave='2'] [role=progressbar]").getAttribute("aria-valuenow")).toBe("0");
    expect(await card.locator("[data-wave='1'] .numbers").textContent()).toMatch(/^1\/1 · halted · failed 1 \(allowed 0\)/);
    await page.screenshot({ path: join(dir, "rollout-halted.png") });

    // Cancel asks for confirmation first.
    const dialogs: string[] = [];
    page.once("dialog", (d) => { dialogs.push(d.message()); void d.accept(); });
    await card.getByRole("button", { name: "Cancel" }).click();
    await page.locator("article.rollout.cancelled").waitFor();
    expect(dialogs[0]).toMatch(/^cancel rollout ro-[0-9a-f]{8} \(com\.acme\.ticker 2\.0\.0\)\?$/);
    const id = (await page.locator("article.rollout").getAttribute("data-rollout"))!;
    expect((await svc.rollouts!.targets(id)).map((t) => t.state)).toEqual(["reverted", "cancelled", "cancelled", "cancelled"]);

    // The devices outside the first wave never heard of the faulty version.
    expect(sim.timeline("sim-1").some((e) => e.kind === "install" && e.event.phase === "reverted")).toBe(true);
    for (const d of sim.devices.slice(1)) expect(sim.timeline(d.id).filter((e) => e.kind === "install")).toEqual([]);

    await page.getByRole("button", { name: "Fleet" }).click();
    await page.waitForFunction(`document.querySelector("tr[data-device='sim-1'] .verdict")?.textContent?.startsWith("reverted")`);
    // sim-1's crash report: the device sent positions and its module's hash; no map of that module was uploaded.
    await page.locator("tr[data-device='sim-1']").click();
    const sha = createHash("sha256").update(badWasm).digest("hex");
    await page.waitForFunction(`document.querySelector(".device .crash .where")?.textContent?.startsWith("no debug map for module ${sha.slice(0, 12)}")`, null, { timeout: 20_000 });
    expect(await page.locator(".device .crash .what").first().textContent()).toMatch(/com\.acme\.ticker unreachable in fwx_on_timer\(\d+\): executed an unreachable instruction/);
    expect(await page.locator(".device .crash pre.stack").first().textContent()).toMatch(/^  wasm stack \(innermost first\):\n    function\[\d+\] \(function \d+\) at module byte 0x[0-9a-f]+$/);
    await page.getByRole("button", { name: "Health" }).click();
    await page.waitForFunction(`[...document.querySelectorAll("rect.faults")].some((r) => Number(r.getAttribute("height")) > 0)`);
    await page.screenshot({ path: join(dir, "health.png") });
    expect(pageErrors).toEqual([]);
  });

  it("rolls a module back and sets its config from the device page, each after a confirmation, showing what the device signed", async () => {
    // sim-4 runs 1.0.0, then 1.1.0 (both confirmed), through two one-device rollouts.
    for (const [version, sequence] of [["1.0.0", 3], ["1.1.0", 4]] as const) {
      const r = await svc.rollouts!.create({ package: makePackage(trust, { version, sequence }), target: parseTarget("devices=sim-4"), waves: parseWaves("100%"), maxFailures: parseMaxFailures("0") });
      for (const end = Date.now() + 30_000; (await svc.rollouts!.get(r.id))!.state !== "done"; await new Promise((res) => setTimeout(res, 100))) {
        if (Date.now() > end) throw new Error(`rollout of ${version} to sim-4 did not finish: ${JSON.stringify(await svc.rollouts!.get(r.id))}`);
      }
    }
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(svc.url);
    await page.locator("tr[data-device='sim-4']").click();
    const actions = page.locator(".device .module-actions[data-module='com.acme.ticker']");
    await actions.waitFor({ timeout: 20_000 });

    // Declining the confirmation sends nothing.
    const installs = () => sim.timeline("sim-4").filter((e) => e.kind === "install").length;
    const before = installs();
    page.once("dialog", (d) => void d.dismiss());
    await actions.getByRole("button", { name: "Roll back" }).click();
    await new Promise((res) => setTimeout(res, 500));
    expect(installs()).toBe(before);

    const dialogs: string[] = [];
    page.on("dialog", (d) => { dialogs.push(d.message()); void d.accept(); });
    await actions.getByRole("button", { name: "Roll back" }).click();
    await page.waitForFunction(`document.querySelector(".device .action-result")?.textContent?.startsWith("com.acme.ticker: rolled-back → 1.0.0")`, null, { timeout: 20_000 });
    // The service answered only once the device's new status was stored: the fleet list read now shows 1.0.0, not a poll later.
    const [listed] = await (await fetch(`${svc.url}/api/devices?ids=sim-4`)).json() as { modules: { version: string; role: string }[] }[];
    expect(listed!.modules.filter((m) => m.role === "active").map((m) => m.version)).toEqual(["1.0.0"]);
    await page.waitForFunction(`document.querySelector("tr[data-device='sim-4']")?.textContent?.includes("com.acme.ticker 1.0.0")`, null, { timeout: 20_000 });
    // Its last verdict is the rollback, not the confirmation of the version it left.
    expect(await page.locator("tr[data-device='sim-4'] .verdict").textContent()).toBe("rolled-back 1.0.0");
    expect(dialogs[0]).toBe("Roll com.acme.ticker back to its other slot on sim-4?");
    // The accepted one reached the device (so the declined one would have shown too).
    expect(installs()).toBeGreaterThan(before);

    await actions.getByLabel("config of com.acme.ticker").fill("threshold=12.5");
    await actions.getByRole("button", { name: "Set config" }).click();
    await page.waitForFunction(`document.querySelector(".device .action-result")?.textContent?.startsWith("com.acme.ticker: reconfigured")`, null, { timeout: 20_000 });
    expect(dialogs[1]).toBe("Set threshold=12.5 for com.acme.ticker on sim-4?");
    // A value the package's config schema refuses: refused, with the reason, and nothing changes.
    await actions.getByLabel("config of com.acme.ticker").fill("threshold=99");
    await actions.getByRole("button", { name: "Set config" }).click();
    await page.waitForFunction(`document.querySelector(".device .action-result")?.textContent?.startsWith("not done: ")`, null, { timeout: 20_000 });
    expect(await page.locator(".device .action-result").textContent()).toMatch(/^not done: sim-4 refused: invalid-config: com\.acme\.ticker\.threshold: 99 is outside \[-40, 30\]/);
    await page.screenshot({ path: join(dir, "device.png") });
    expect(pageErrors).toEqual([]);
  });

  it("shows a device's crash report at the integrator's own file:line, through the debug map uploaded for that module", async () => {
    const project = faultyProject(join(dir, "faulty"));
    const built = await buildModule(project);
    expect(built.ok).toBe(true);
    // As `fwx rollout create` does with the map beside the package: upload it, then roll the module out.
    const up = await fetch(`${svc.url}/api/debug-maps`, { method: "POST", body: JSON.stringify({ map: JSON.parse(readFileSync(built.debugMapFile!, "utf8")) }) });
    expect(up.status).toBe(200);
    const sha = createHash("sha256").update(built.bytes!).digest("hex");
    expect(await up.json()).toMatchObject({ wasmSha256: sha, module: "com.example.faulty" });
    const pkg = makePackage(trust, { version: "3.0.0", sequence: 5, wasm: built.bytes!, capabilities: { timers: 1 }, config: [] });
    const r = await svc.rollouts!.create({ package: pkg, target: parseTarget("devices=sim-2"), waves: parseWaves("100%"), maxFailures: parseMaxFailures("0") });
    for (const end = Date.now() + 30_000; (await svc.rollouts!.get(r.id))!.state !== "halted"; await new Promise((res) => setTimeout(res, 100))) {
      if (Date.now() > end) throw new Error(`the faulty module's rollout to sim-2 did not halt: ${JSON.stringify(await svc.rollouts!.get(r.id))}`);
    }
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(svc.url);
    await page.locator("tr[data-device='sim-2']").click();
    const crash = page.locator(".device .crash").first();
    await page.waitForFunction(`document.querySelector(".device .crash .where code.source")?.textContent === ${JSON.stringify(FAULT_LINE)}`, null, { timeout: 20_000 });
    expect(await crash.locator(".what").textContent()).toMatch(/com\.acme\.ticker abort in fwx_on_timer\(1\): Index out of range/);
    expect(await crash.locator(".where").textContent()).toBe(`at ${FAULT_LINE} in assembly/index/fwx_on_timer`);
    expect(await crash.locator("pre.stack").textContent()).toContain(`  at ${FAULT_LINE} in assembly/index/fwx_on_timer`);
    await page.locator(".device h3", { hasText: "Crash reports" }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(dir, "device-crash.png") });
    expect(pageErrors).toEqual([]);
  });

  it("pushes a device's log lines to its page as the service stores them (no polling)", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(svc.url);
    await page.locator("tr[data-device='sim-3']").click();
    await page.waitForFunction(`document.querySelector(".device h3 .live.on")?.textContent === "● live"`, null, { timeout: 20_000 });
    // From here the page's polls of the device fail: a line can only arrive through the push stream.
    await page.route("**/api/devices/sim-3", (r) => r.abort());
    const device = mqtt.connect(broker.url, { clientId: "console-test-log" });
    try {
      await new Promise((r) => device.once("connect", r));
      const message = `door opened at ${Date.now()}`;
      await device.publishAsync("fwx/v2/sim-3/log", JSON.stringify({ ts: Date.now(), module: "com.acme.ticker", level: "warn", message }), { qos: 1 });
      await page.waitForFunction(`document.querySelector(".device pre.logs")?.textContent?.includes(${JSON.stringify(`com.acme.ticker: ${message}`)})`, null, { timeout: 10_000 });
      expect(await page.locator(".device pre.logs").textContent()).toMatch(/warn  com\.acme\.ticker: door opened at \d+/);
      await page.locator(".device h3", { hasText: "Logs" }).scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(dir, "device-live-logs.png") });
    } finally {
      await device.endAsync();
    }
    expect(pageErrors).toEqual([]);
  });
  it("shows which wave of a rollout created with approval before every wave waits, and approves it after a confirmation", async () => {
    const r = await svc.rollouts!.create({ package: makePackage(trust, { version: "1.0.0", sequence: 6 }), target: parseTarget("devices=sim-3"), waves: parseWaves("100%"), maxFailures: parseMaxFailures("0"), approve: "every" });
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(svc.url);
    await page.getByRole("button", { name: "Rollouts" }).click();
    const card = page.locator(`article.rollout[data-rollout='${r.id}']`);
    await card.locator(".awaiting").waitFor({ timeout: 20_000 });
    expect(await card.locator(".awaiting").textContent()).toBe("wave 1 of 1 waits for approval");
    expect(await page.locator("select[name=approve] option").allTextContents()).toEqual(["none: waves start by themselves", "before the first wave", "before every wave"]);
    const dialogs: string[] = [];
    page.once("dialog", (d) => { dialogs.push(d.message()); void d.accept(); });
    await card.getByRole("button", { name: "Approve" }).click();
    await page.locator(`article.rollout.done[data-rollout='${r.id}']`).waitFor({ timeout: 30_000 });
    expect(dialogs[0]).toBe(`resume rollout ${r.id} (com.acme.ticker 1.0.0)?`);
    expect(pageErrors).toEqual([]);
  });
});
