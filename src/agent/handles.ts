// Per-instance handle table and the device-wide claim registry behind
// ModuleHostContext. Handle numbers start at 1 and are never reused within an
// instance, so a stale handle held by a module can never alias a new resource.

import type { ClaimRegistry, HandleTable } from "./host-context.js";

export class InstanceHandleTable implements HandleTable {
  private next = 1;
  private readonly byKind = new Map<string, Map<number, unknown>>();

  issue<T>(kind: string, resource: T): number {
    const handle = this.next++;
    let table = this.byKind.get(kind);
    if (!table) this.byKind.set(kind, (table = new Map()));
    table.set(handle, resource);
    return handle;
  }

  /** Takes over a handle number issued elsewhere (replay: the recorded implementation issued it). */
  adopt(kind: string, handle: number, resource: unknown): void {
    let table = this.byKind.get(kind);
    if (!table) this.byKind.set(kind, (table = new Map()));
    table.set(handle, resource);
    if (handle >= this.next) this.next = handle + 1;
  }

  get<T>(kind: string, handle: number): T | undefined {
    return this.byKind.get(kind)?.get(handle) as T | undefined;
  }

  owns(kind: string, handle: number): boolean {
    return this.byKind.get(kind)?.has(handle) ?? false;
  }

  release(kind: string, handle: number): void {
    this.byKind.get(kind)?.delete(handle);
  }

  entries<T>(kind: string): [number, T][] {
    return [...(this.byKind.get(kind)?.entries() ?? [])] as [number, T][];
  }

  /** How many handles are live, all kinds together (crash reports). */
  count(): number {
    let n = 0;
    for (const t of this.byKind.values()) n += t.size;
    return n;
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
