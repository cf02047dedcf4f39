// A ModuleHostContext test double: the agent's own handle table and claim
// registry, a settable virtual clock, and recorders for events, posted module
// events, error details and stop callbacks.

import type { Capabilities } from "../../src/caps/capabilities.js";
import type { AgentEvent, ClaimRegistry, ModuleHostContext } from "../../src/agent/host-context.js";
import { DeviceClaimRegistry, InstanceHandleTable } from "../../src/agent/handles.js";

export class FakeContext implements ModuleHostContext {
  readonly handles = new InstanceHandleTable();
  readonly config = new Map<string, string>();
  now = 0n;
  readonly events: AgentEvent[] = [];
  readonly posted: { kind: number; handle: number; arg: number }[] = [];
  lastDetail = "";
  private readonly stops: (() => void)[] = [];

  constructor(readonly moduleId: string, readonly caps: Capabilities, readonly claims: ClaimRegistry = new DeviceClaimRegistry()) {}

  nowUs(): bigint { return this.now; }
  fail(status: number, detail: string): number {
    this.lastDetail = detail;
    return status;
  }
  emit(event: AgentEvent): void { this.events.push(event); }
  traffic(_kind: string, describe: () => AgentEvent): void { this.events.push(describe()); }
  postEvent(kind: number, handle: number, arg: number): void { this.posted.push({ kind, handle, arg }); }
  onStop(cleanup: () => void): void { this.stops.push(cleanup); }
  stop(): void {
    for (const s of this.stops.splice(0)) s();
  }
}
