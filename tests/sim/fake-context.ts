// A ModuleHostContext test double: real (small) handle table and claim
// registry, a settable virtual clock, and recorders for events, posted module
// events, error details and stop callbacks.

import type { Capabilities } from "../../src/caps/capabilities.js";
import type { AgentEvent, ClaimRegistry, HandleTable, ModuleHostContext } from "../../src/agent/host-context.js";

export class TestHandles implements HandleTable {
  private next = 1;
  private readonly tables = new Map<string, Map<number, unknown>>();
  issue<T>(kind: string, resource: T): number {
    const h = this.next++;
    if (!this.tables.has(kind)) this.tables.set(kind, new Map());
    this.tables.get(kind)!.set(h, resource);
    return h;
  }
  get<T>(kind: string, handle: number): T | undefined {
    return this.tables.get(kind)?.get(handle) as T | undefined;
  }
  owns(kind: string, handle: number): boolean {
    return this.tables.get(kind)?.has(handle) ?? false;
  }
  release(kind: string, handle: number): void {
    this.tables.get(kind)?.delete(handle);
  }
  entries<T>(kind: string): [number, T][] {
    return [...(this.tables.get(kind)?.entries() ?? [])] as [number, T][];
  }
}

export class TestClaims implements ClaimRegistry {
  readonly owners = new Map<string, string>();
  claim(resource: string, moduleId: string): boolean {
    const o = this.owners.get(resource);
    if (o !== undefined) return o === moduleId;
    this.owners.set(resource, moduleId);
    return true;
  }
  release(resource: string, moduleId: string): void {
    if (this.owners.get(resource) === moduleId) this.owners.delete(resource);
  }
  owner(resource: string): string | undefined {
    return this.owners.get(resource);
  }
}

export class FakeContext implements ModuleHostContext {
  readonly handles = new TestHandles();
  readonly config = new Map<string, string>();
  now = 0n;
  readonly events: AgentEvent[] = [];
  readonly posted: { kind: number; handle: number; arg: number }[] = [];
  lastDetail = "";
  private readonly stops: (() => void)[] = [];

  constructor(readonly moduleId: string, readonly caps: Capabilities, readonly claims: ClaimRegistry = new TestClaims()) {}

  nowUs(): bigint { return this.now; }
  fail(status: number, detail: string): number {
    this.lastDetail = detail;
    return status;
  }
  emit(event: AgentEvent): void { this.events.push(event); }
  postEvent(kind: number, handle: number, arg: number): void { this.posted.push({ kind, handle, arg }); }
  onStop(cleanup: () => void): void { this.stops.push(cleanup); }
  stop(): void {
    for (const s of this.stops.splice(0)) s();
  }
}
