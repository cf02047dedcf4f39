// A file-system error in words, for messages that already name the path:
// what a person reads instead of "ENOENT: no such file or directory, open '…'".

/** A file-system error in words ("no such file or directory"), for messages that already name the path. */
export function describeFileError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case "ENOENT": return "no such file or directory";
    case "EISDIR": return "is a directory, not a file";
    case "ENOTDIR": return "a part of the path is not a directory";
    case "EACCES":
    case "EPERM": return "permission denied";
    case "ENAMETOOLONG": return "the name is too long";
    case "ELOOP": return "too many symbolic links";
    default: return err instanceof Error ? err.message.replace(/^[A-Z]+: /, "") : String(e);
  }
}
