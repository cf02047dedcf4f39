// Public surface of signed packages, for the CLI, `fwx run` and the device agent.
export { PackageError, PKG_ERRORS, TrustFileError, type PackageErrorCode } from "./errors.js";
export { verifyPackage, readPackageUnverified, FUEL_SECTION_NAME, type VerifyContext, type DeviceContext, type VerifiedPackage, type UnverifiedPackage } from "./verify.js";
export { offeredInterfaces, interfaceShortfall } from "./interfaces.js";
export { assemblePackage, splitPackage, HEADER_BYTES, MAGIC, FORMAT_VERSION, type Layout } from "./format.js";
export { encodeManifest, decodeManifest, type Manifest, type ConfigField, type DeviceClass } from "./manifest.js";
export { issueCertificate, decodeCertificateBody, certificateDigest, ANY, type IntegratorCertificate } from "./certificate.js";
export { verifyRevocationList, signRevocationList, extendRevocationList, emptyRevocationList, isRevoked, type RevocationList } from "./revocation.js";
export { parsePublicKey, parsePrivateKey, keyId, generateKeyPair } from "./keys.js";
