// Every way a package can be refused, each with its own code. The numbers are
// what a C verifier returns (docs/package-format.md lists the same table), so
// they never change meaning once released: new codes are appended.

export const PKG_ERRORS = {
  FWX_PKG_E_TRUNCATED: 1,
  FWX_PKG_E_MAGIC: 2,
  FWX_PKG_E_VERSION: 3,
  FWX_PKG_E_HEADER: 4,
  FWX_PKG_E_TRAILING: 5,
  FWX_PKG_E_SIGBLOCK: 6,
  FWX_PKG_E_CERT_SIG: 7,
  FWX_PKG_E_CERT: 8,
  FWX_PKG_E_SIG: 9,
  FWX_PKG_E_MANIFEST: 10,
  FWX_PKG_E_HASH: 11,
  FWX_PKG_E_NOT_YET_VALID: 12,
  FWX_PKG_E_EXPIRED: 13,
  FWX_PKG_E_REVOKED: 14,
  FWX_PKG_E_SCOPE_MODULE: 15,
  FWX_PKG_E_SCOPE_CUSTOMER: 16,
  FWX_PKG_E_SCOPE_GROUP: 17,
  FWX_PKG_E_DEVICE_CLASS: 18,
  FWX_PKG_E_NOT_INSTRUMENTED: 19,
  FWX_PKG_E_PREINSTRUMENTED: 20,
  FWX_PKG_E_PAYLOAD: 21,
  FWX_PKG_E_CAPS_CERT: 22,
  FWX_PKG_E_CAPS_DEVICE: 23,
  FWX_PKG_E_INTERFACE: 24,
  FWX_PKG_E_ROLLBACK: 25,
} as const;

export type PackageErrorCode = keyof typeof PKG_ERRORS;

export class PackageError extends Error {
  constructor(
    readonly code: PackageErrorCode,
    message: string,
    /** Absolute byte offset in the package file, when the problem has one. */
    readonly offset?: number,
  ) {
    super(`${code}: ${message}`);
    this.name = "PackageError";
  }

  get numericCode(): number {
    return PKG_ERRORS[this.code];
  }
}

/** Certificates, revocation lists and key files are not packages but fail in the same ways. */
export class TrustFileError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "TrustFileError";
  }
}
