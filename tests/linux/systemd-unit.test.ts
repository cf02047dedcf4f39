// The systemd unit docs/agent.md gives for running `fwx agent` on a gateway:
// every option its ExecStart passes is one `fwx agent` takes, its keys are
// ones systemd knows in their sections, and, where systemd is installed,
// `systemd-analyze verify` accepts it without a warning.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { command as agent } from "../../src/commands/agent.js";

const root = resolve(import.meta.dirname, "../..");
const doc = readFileSync(join(root, "docs/agent.md"), "utf8");

/** The ```ini block after the line naming /etc/systemd/system/fwx-agent.service. */
function unitFromDocs(): string {
  const at = doc.indexOf("/etc/systemd/system/fwx-agent.service");
  expect(at, "docs/agent.md names /etc/systemd/system/fwx-agent.service").toBeGreaterThan(0);
  const m = /```ini\n([\s\S]*?)```/.exec(doc.slice(at));
  expect(m, "an ```ini block follows it").not.toBeNull();
  return m![1]!;
}

/** Sections → key → values, with backslash continuations joined. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  for (const line of text.replace(/\\\n\s*/g, " ").split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) {
      sections.set(s[1]!, (current = new Map()));
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`unit line is neither a section nor Key=value: ${line}`);
    current.set(kv[1]!, [...(current.get(kv[1]!) ?? []), kv[2]!]);
  }
  return sections;
}

// The keys this unit may use, per section (systemd.unit(5), systemd.service(5), systemd.exec(5)).
const KNOWN: Record<string, string[]> = {
  Unit: ["Description", "Documentation", "Wants", "After", "Requires", "Before"],
  Service: ["Type", "User", "Group", "SupplementaryGroups", "StateDirectory", "StateDirectoryMode", "EnvironmentFile", "Environment", "ExecStart", "Restart", "RestartSec",
    "StandardOutput", "StandardError", "SyslogIdentifier", "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp"],
  Install: ["WantedBy"],
};

describe("the fwx-agent.service unit in docs/agent.md", () => {
  const unit = unitFromDocs();
  const parsed = parseUnit(unit);

  it("runs fwx agent as user fwx with the device groups, its state under StateDirectory and the floor outside --state-dir", () => {
    expect([...parsed.keys()]).toEqual(["Unit", "Service", "Install"]);
    for (const [section, keys] of parsed) for (const k of keys.keys()) expect(KNOWN[section], `[${section}] ${k}`).toContain(k);
    const svc = parsed.get("Service")!;
    expect(svc.get("User")).toEqual(["fwx"]);
    expect(svc.get("SupplementaryGroups")).toEqual(["gpio i2c dialout"]);
    expect(svc.get("StateDirectory")).toEqual(["fwx"]);
    const exec = svc.get("ExecStart")![0]!.split(/\s+/);
    expect(exec.slice(0, 2)).toEqual(["/usr/bin/fwx", "agent"]);
    const opt = (name: string) => exec[exec.indexOf(name) + 1];
    expect(opt("--state-dir")).toBe("/var/lib/fwx/state");
    expect(opt("--floor")).toBe("/var/lib/fwx/anti-rollback.json");
    // Every option is one fwx agent takes.
    for (const o of exec.filter((w) => w.startsWith("--"))) expect(agent.help, o).toMatch(new RegExp(`[\\s,]${o}[\\s,<]`));
  });

  it("passes systemd-analyze verify where systemd is installed", () => {
    const probe = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8", timeout: 10_000 });
    if (probe.error) return; // no systemd on this machine: the key check above is what runs
    const dir = mkdtempSync(join(tmpdir(), "fwx-unit-"));
    try {
      // verify insists that ExecStart's program exists; the rest is checked as written.
      const file = join(dir, "fwx-agent.service");
      writeFileSync(file, unit.replace("/usr/bin/fwx", process.execPath));
      const r = spawnSync("systemd-analyze", ["verify", "--man=no", file], { encoding: "utf8", timeout: 30_000 });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      // And it does complain about a misspelt key, so an empty stderr means something.
      writeFileSync(file, unit.replace("RestartSec=", "RestartSecs="));
      const bad = spawnSync("systemd-analyze", ["verify", "--man=no", file], { encoding: "utf8", timeout: 30_000 });
      expect(bad.stderr).toMatch(/Unknown key 'RestartSecs'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
