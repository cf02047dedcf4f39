// Per-instance handle table and the device-wide claim registry behind
// ModuleHostContext. Handle numbers start at 1 and are never reused within an
// instance, so a stale handle held by a module can never alias a new resource.

import type { ClaimRegistry, HandleTable } from "./host-context.js";

interface HandleEntry {
  readonly kind: string;
  readonly resource: unknown;
}

export class InstanceHandleTable implements HandleTable {
  private next = 1;
  // One map keyed by handle number (numbers are unique across kinds), so the
  // glue's ownership check and the implementation's lookup are one probe each.
  private readonly byHandle = new Map<number, HandleEntry>();
  // A module usually drives the same handle many times in a row (a relay pin,
  // a port): the last entry looked up answers those without touching the map.
  private lastHandle = 0;
  private lastEntry: HandleEntry | undefined = undefined;

  private lookup(handle: number): HandleEntry | undefined {
    if (handle === this.lastHandle) return this.lastEntry;
    const entry = this.byHandle.get(handle);
    if (entry !== undefined) {
      this.lastHandle = handle;
      this.lastEntry = entry;
    }
    return entry;
  }

  issue<T>(kind: string, resource: T): number {
    const handle = this.next++;
    this.byHandle.set(handle, { kind, resource });
    return handle;
  }

  /** Takes over a handle number issued elsewhere (replay: the recorded implementation issued it). */
  adopt(kind: string, handle: number, resource: unknown): void {
    this.byHandle.set(handle, { kind, resource });
    this.forget(handle);
    if (handle >= this.next) this.next = handle + 1;
  }

  get<T>(kind: string, handle: number): T | undefined {
    const entry = this.lookup(handle);
    return entry !== undefined && entry.kind === kind ? (entry.resource as T) : undefined;
  }

  owns(kind: string, handle: number): boolean {
    const entry = this.lookup(handle);
    return entry !== undefined && entry.kind === kind;
  }

  release(kind: string, handle: number): void {
    if (this.byHandle.get(handle)?.kind !== kind) return;
    this.byHandle.delete(handle);
    this.forget(handle);
  }

  private forget(handle: number): void {
    if (handle !== this.lastHandle) return;
    this.lastHandle = 0; // never a handle: numbering starts at 1
    this.lastEntry = undefined;
  }

  entries<T>(kind: string): [number, T][] {
    const out: [number, T][] = [];
    for (const [handle, e] of this.byHandle) if (e.kind === kind) out.push([handle, e.resource as T]);
    return out;
  }

  /** How many handles are live, all kinds together. */
  count(): number {
    return this.byHandle.size;
  }
}

/** One registry per device: a pin, PWM channel or UART port has at most one owner. */
export class DeviceClaimRegistry implements ClaimRegistry {
  private readonly owners = new Map<string, string>();

  claim(resource: string, moduleId: string): boolean {
    const owner = this.owners.get(resource);
    if (owner !== undefined) return owner === moduleId;
    this.owners.set(resource, moduleId);
    return true;
  }

  release(resource: string, moduleId: string): void {
    if (this.owners.get(resource) === moduleId) this.owners.delete(resource);
  }

  owner(resource: string): string | undefined {
    return this.owners.get(resource);
  }

  /** Drops every claim a module holds; returns the resources freed (sorted, for a stable log). */
  releaseAll(moduleId: string): string[] {
    const freed: string[] = [];
    for (const [resource, owner] of this.owners) if (owner === moduleId) freed.push(resource);
    for (const r of freed) this.owners.delete(r);
    return freed.sort();
  }
}
