// A simulated disk for power-cut tests, in the spirit of ALICE and
// CrashMonkey: an in-memory FileIo that records, for every file, the writes
// made since its last fsync, and for every directory, the entry changes
// (create, rename, link, unlink) made since its last fsync. A power cut
// freezes it; `reboot` then builds the disk a restart would find:
//
//   - file contents: what was fsynced, plus any subset of the later writes,
//     each of which may itself be torn (only a prefix of its bytes landed);
//   - directories: what was fsynced, plus a prefix of the later entry changes
//     (a rename is one change: the new name or the old one, never both).
//
// "strict" keeps nothing unsynced, "kept" keeps everything (what a killed
// process leaves), "random" draws a seeded mix. Code that forgets an fsync
// of a file or of its directory loses data under "strict" or "random".

import { dirname, basename, resolve } from "node:path";
import type { FileIo, OpenFlags } from "./file-io.js";
import { seededRandom } from "../sim/prng.js";

export class PowerCut extends Error {
  constructor(readonly at: string) {
    super(`power cut at ${at}`);
    this.name = "PowerCut";
  }
}

const fsError = (code: string, what: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: ${what}`), { code });

type FileChange = { kind: "write"; position: number; bytes: Uint8Array } | { kind: "truncate" };
type DirChange = { set: [string, number][]; remove: string[] };

interface FileNode {
  kind: "file";
  data: Uint8Array;
  synced: Uint8Array;
  unsynced: FileChange[];
}
interface DirNode {
  kind: "dir";
  entries: Map<string, number>;
  synced: Map<string, number>;
  unsynced: DirChange[];
}
type Node = FileNode | DirNode;

export type CutMode = "strict" | "kept" | "random";


function applyChange(data: Uint8Array, c: FileChange, tornAt: number | null): Uint8Array {
  if (c.kind === "truncate") return new Uint8Array(0);
  const bytes = tornAt === null ? c.bytes : c.bytes.subarray(0, tornAt);
  const end = Math.max(data.length, c.position + bytes.length);
  const out = new Uint8Array(end);
  out.set(data);
  out.set(bytes, c.position);
  return out;
}

export class SimulatedDisk implements FileIo {
  private nodes = new Map<number, Node>();
  private nextIno = 2;
  private fds = new Map<number, { ino: number; position: number; dirFd: boolean }>();
  private nextFd = 100;
  /** Set once the power is cut: every later operation throws PowerCut and changes nothing. */
  cutAt: string | null = null;
  /** Mutating operations (and fsyncs) done so far; with `cutAtOperation`, the power goes before that one. */
  operations = 0;
  cutAtOperation: number | null = null;

  constructor() {
    this.nodes.set(1, { kind: "dir", entries: new Map(), synced: new Map(), unsynced: [] });
  }

  /** Cuts the power now; throws PowerCut so the caller stops where it is. */
  cut(at: string): never {
    if (this.cutAt === null) this.cutAt = at;
    throw new PowerCut(this.cutAt);
  }

  private alive(op: string, mutating: boolean): void {
    if (this.cutAt !== null) throw new PowerCut(this.cutAt);
    if (!mutating) return;
    this.operations++;
    if (this.cutAtOperation !== null && this.operations === this.cutAtOperation) this.cut(`operation ${this.operations} (${op})`);
  }

  // --- paths -------------------------------------------------------------

  private parts(path: string): string[] {
    return resolve("/", path).split("/").filter(Boolean);
  }

  private lookup(path: string): number | null {
    let ino = 1;
    for (const p of this.parts(path)) {
      const n = this.nodes.get(ino)!;
      if (n.kind !== "dir") return null;
      const next = n.entries.get(p);
      if (next === undefined) return null;
      ino = next;
    }
    return ino;
  }

  private parentOf(path: string): { dir: DirNode; dirIno: number; name: string } {
    const abs = resolve("/", path);
    const dirIno = this.lookup(dirname(abs));
    const dir = dirIno === null ? null : this.nodes.get(dirIno)!;
    if (!dir || dir.kind !== "dir") throw fsError("ENOENT", `no directory ${dirname(abs)}`);
    return { dir, dirIno: dirIno!, name: basename(abs) };
  }

  private changeDir(dir: DirNode, change: DirChange): void {
    for (const name of change.remove) dir.entries.delete(name);
    for (const [name, ino] of change.set) dir.entries.set(name, ino);
    dir.unsynced.push(change);
  }

  private file(fd: number): { node: FileNode; entry: { ino: number; position: number } } {
    const entry = this.fds.get(fd);
    if (!entry) throw fsError("EBADF", `fd ${fd}`);
    const node = this.nodes.get(entry.ino)!;
    if (node.kind !== "file") throw fsError("EISDIR", `fd ${fd}`);
    return { node, entry };
  }

  // --- FileIo ------------------------------------------------------------

  open(path: string, flags: OpenFlags): number {
    const creating = flags !== "r" && flags !== "r+";
    this.alive(`open ${path} ${flags}`, creating);
    let ino = this.lookup(path);
    if (ino !== null && flags === "wx") throw fsError("EEXIST", path);
    if (ino === null) {
      if (!creating) throw fsError("ENOENT", path);
      const { dir, name } = this.parentOf(path);
      ino = this.nextIno++;
      this.nodes.set(ino, { kind: "file", data: new Uint8Array(0), synced: new Uint8Array(0), unsynced: [] });
      this.changeDir(dir, { set: [[name, ino]], remove: [] });
    } else {
      const node = this.nodes.get(ino)!;
      if (node.kind === "dir") throw fsError("EISDIR", path);
      if (flags === "w" || flags === "w+") {
        node.data = new Uint8Array(0);
        node.unsynced.push({ kind: "truncate" });
      }
    }
    const fd = this.nextFd++;
    this.fds.set(fd, { ino, position: 0, dirFd: false });
    return fd;
  }

  openDir(path: string): number {
    this.alive(`opendir ${path}`, false);
    const ino = this.lookup(path);
    if (ino === null || this.nodes.get(ino)!.kind !== "dir") throw fsError("ENOENT", path);
    const fd = this.nextFd++;
    this.fds.set(fd, { ino, position: 0, dirFd: true });
    return fd;
  }

  close(fd: number): void {
    this.alive("close", false);
    if (!this.fds.delete(fd)) throw fsError("EBADF", `fd ${fd}`);
  }

  write(fd: number, data: Uint8Array, offset: number, length: number, position: number | null): number {
    this.alive(`write ${length} bytes`, true);
    const { node, entry } = this.file(fd);
    const at = position ?? entry.position;
    const change: FileChange = { kind: "write", position: at, bytes: data.slice(offset, offset + length) };
    node.data = applyChange(node.data, change, null);
    node.unsynced.push(change);
    if (position === null) entry.position = at + length;
    return length;
  }

  read(fd: number, into: Uint8Array, offset: number, length: number, position: number): number {
    this.alive("read", false);
    const { node } = this.file(fd);
    const got = node.data.subarray(position, Math.min(node.data.length, position + length));
    into.set(got, offset);
    return got.length;
  }

  fsync(fd: number): void {
    this.alive("fsync", true);
    const entry = this.fds.get(fd);
    if (!entry) throw fsError("EBADF", `fd ${fd}`);
    const node = this.nodes.get(entry.ino)!;
    if (node.kind === "file") {
      node.synced = node.data.slice();
      node.unsynced = [];
    } else {
      node.synced = new Map(node.entries);
      node.unsynced = [];
    }
  }

  size(fd: number): number {
    this.alive("fstat", false);
    return this.file(fd).node.data.length;
  }

  rename(from: string, to: string): void {
    this.alive(`rename ${basename(from)} → ${basename(to)}`, true);
    const src = this.parentOf(from);
    const ino = src.dir.entries.get(src.name);
    if (ino === undefined) throw fsError("ENOENT", from);
    const dst = this.parentOf(to);
    if (src.dirIno === dst.dirIno) {
      if (src.name !== dst.name) this.changeDir(src.dir, { set: [[dst.name, ino]], remove: [src.name] });
    } else {
      // Across directories each side is its own change, made durable by its own directory's fsync.
      this.changeDir(dst.dir, { set: [[dst.name, ino]], remove: [] });
      this.changeDir(src.dir, { set: [], remove: [src.name] });
    }
  }

  link(existing: string, newPath: string): void {
    this.alive(`link ${basename(newPath)}`, true);
    const src = this.parentOf(existing);
    const ino = src.dir.entries.get(src.name);
    if (ino === undefined) throw fsError("ENOENT", existing);
    const dst = this.parentOf(newPath);
    if (dst.dir.entries.has(dst.name)) throw fsError("EEXIST", newPath);
    this.changeDir(dst.dir, { set: [[dst.name, ino]], remove: [] });
  }

  unlink(path: string): void {
    this.alive(`unlink ${basename(path)}`, true);
    const { dir, name } = this.parentOf(path);
    const ino = dir.entries.get(name);
    if (ino === undefined) throw fsError("ENOENT", path);
    if (this.nodes.get(ino)!.kind === "dir") throw fsError("EISDIR", path);
    this.changeDir(dir, { set: [], remove: [name] });
  }

  removeTree(path: string): void {
    this.alive(`rm -r ${basename(path)}`, true);
    let parent;
    try {
      parent = this.parentOf(path);
    } catch {
      return;
    }
    if (parent.dir.entries.has(parent.name)) this.changeDir(parent.dir, { set: [], remove: [parent.name] });
  }

  mkdir(path: string): void {
    this.alive(`mkdir ${basename(path)}`, true);
    const { dir, name } = this.parentOf(path);
    if (dir.entries.has(name)) throw fsError("EEXIST", path);
    const ino = this.nextIno++;
    this.nodes.set(ino, { kind: "dir", entries: new Map(), synced: new Map(), unsynced: [] });
    this.changeDir(dir, { set: [[name, ino]], remove: [] });
  }

  exists(path: string): boolean {
    this.alive("exists", false);
    return this.lookup(path) !== null;
  }

  readFile(path: string): Uint8Array {
    this.alive("read", false);
    const ino = this.lookup(path);
    if (ino === null) throw fsError("ENOENT", path);
    const node = this.nodes.get(ino)!;
    if (node.kind !== "file") throw fsError("EISDIR", path);
    return node.data.slice();
  }

  // --- set-up and power cuts ---------------------------------------------

  /** Creates a directory path as already durable (the state directory the device was provisioned with). */
  provision(path: string): void {
    let ino = 1;
    for (const p of this.parts(path)) {
      const dir = this.nodes.get(ino) as DirNode;
      let next = dir.entries.get(p);
      if (next === undefined) {
        next = this.nextIno++;
        this.nodes.set(next, { kind: "dir", entries: new Map(), synced: new Map(), unsynced: [] });
        dir.entries.set(p, next);
        dir.synced.set(p, next);
      }
      ino = next;
    }
  }

  /** Whether anything was written since the last fsyncs (what a cut could lose). */
  get hasUnsynced(): boolean {
    return [...this.nodes.values()].some((n) => n.unsynced.length > 0);
  }

  /**
   * The disk a restart finds after the cut (or now, if the power is still on):
   * what was fsynced, plus what `mode` lets survive of the rest. The result is
   * a fresh disk with everything on it durable.
   */
  reboot(mode: CutMode, seed = 1): SimulatedDisk {
    const rand = seededRandom(seed);
    const disk = new SimulatedDisk();
    disk.nodes = new Map();
    disk.nextIno = this.nextIno;
    for (const [ino, n] of this.nodes) {
      if (n.kind === "file") {
        let data = n.synced;
        for (const c of n.unsynced) {
          const keep = mode === "kept" || (mode === "random" && rand() < 0.5);
          if (!keep) continue;
          const torn = mode === "random" && c.kind === "write" && c.bytes.length > 1 && rand() < 0.3 ? Math.floor(rand() * c.bytes.length) : null;
          data = applyChange(data, c, torn);
        }
        disk.nodes.set(ino, { kind: "file", data: data.slice(), synced: data.slice(), unsynced: [] });
      } else {
        const entries = new Map(n.synced);
        const keep = mode === "kept" ? n.unsynced.length : mode === "strict" ? 0 : Math.floor(rand() * (n.unsynced.length + 1));
        for (const c of n.unsynced.slice(0, keep)) {
          for (const name of c.remove) entries.delete(name);
          for (const [name, i] of c.set) entries.set(name, i);
        }
        disk.nodes.set(ino, { kind: "dir", entries, synced: new Map(entries), unsynced: [] });
      }
    }
    return disk;
  }

  /** Lists the files under `path` (for failure messages). */
  list(path = "/"): string[] {
    const out: string[] = [];
    const walk = (ino: number, prefix: string) => {
      const n = this.nodes.get(ino)!;
      if (n.kind === "file") return void out.push(`${prefix} (${n.data.length} bytes)`);
      for (const [name, child] of [...n.entries].sort()) walk(child, `${prefix}/${name}`);
    };
    const ino = this.lookup(path);
    if (ino !== null) walk(ino, path === "/" ? "" : resolve("/", path));
    return out;
  }
}
