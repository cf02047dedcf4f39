// The file operations that durable state is written with, as a seam. The
// device's durable writes (src/fs/durable.ts), the transfer receiver and the
// state store go through a FileIo, so a test can substitute a simulated disk
// that loses what a power cut loses (src/fs/power-cut.ts) — a killed process
// keeps the page cache and so cannot tell whether an fsync is missing.

import { closeSync, existsSync, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, unlinkSync, writeSync } from "node:fs";

/** Open modes used: read, read-write, create/truncate, exclusive create, create/truncate read-write. */
export type OpenFlags = "r" | "r+" | "w" | "wx" | "w+";

export interface FileIo {
  open(path: string, flags: OpenFlags, mode?: number): number;
  /** Opens a directory so that it can be fsynced. */
  openDir(path: string): number;
  close(fd: number): void;
  /** Writes up to `length` bytes of `data` from `offset`, at `position` (null: the file position); returns how many. */
  write(fd: number, data: Uint8Array, offset: number, length: number, position: number | null): number;
  read(fd: number, into: Uint8Array, offset: number, length: number, position: number): number;
  fsync(fd: number): void;
  size(fd: number): number;
  rename(from: string, to: string): void;
  link(existing: string, newPath: string): void;
  /** Throws ENOENT when missing. */
  unlink(path: string): void;
  /** Removes a file or a directory tree; a missing path is fine. */
  removeTree(path: string): void;
  /** Creates one directory (its parent must exist); throws EEXIST when it exists. */
  mkdir(path: string): void;
  exists(path: string): boolean;
  readFile(path: string): Uint8Array;
}

/** The real file system. */
export const NODE_FS: FileIo = {
  open: (path, flags, mode) => openSync(path, flags, mode),
  openDir: (path) => openSync(path, "r"),
  close: (fd) => closeSync(fd),
  write: (fd, data, offset, length, position) => writeSync(fd, data, offset, length, position),
  read: (fd, into, offset, length, position) => readSync(fd, into, offset, length, position),
  fsync: (fd) => fsyncSync(fd),
  size: (fd) => fstatSync(fd).size,
  rename: (from, to) => renameSync(from, to),
  link: (existing, newPath) => linkSync(existing, newPath),
  unlink: (path) => unlinkSync(path),
  removeTree: (path) => rmSync(path, { recursive: true, force: true }),
  mkdir: (path) => mkdirSync(path),
  exists: (path) => existsSync(path),
  readFile: (path) => new Uint8Array(readFileSync(path)),
};
