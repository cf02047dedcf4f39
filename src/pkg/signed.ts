// The envelope shared by certificates and revocation lists: a CBOR array
// [body: bytes, signature: bytes(64)]. The signature covers the domain
// string followed by exactly the body's content bytes, so a verifier checks
// it before it decodes anything inside the body.

import type { KeyObject } from "node:crypto";
import { decodeCbor, encodeCbor, type CborValue } from "./cbor.js";
import { FieldError, asArray, asBytes } from "./fields.js";
import { SIGNATURE_BYTES, signWithDomain, type SignatureDomain } from "./keys.js";

export interface SignedEnvelope {
  body: Uint8Array;
  signature: Uint8Array;
}

export function sealEnvelope(body: Uint8Array, key: KeyObject, domain: SignatureDomain): Uint8Array {
  return encodeCbor([body, signWithDomain(key, domain, body)]);
}

/** Structure only: no signature check. Throws FieldError (shape) or CborError (encoding). */
export function openEnvelope(value: CborValue, path: string): SignedEnvelope {
  const a = asArray(value, path);
  if (a.length !== 2) throw new FieldError(path, `expected [body, signature], found ${a.length} items`);
  return { body: asBytes(a[0]!, `${path}[0] body`), signature: asBytes(a[1]!, `${path}[1] signature`, SIGNATURE_BYTES) };
}

export function openEnvelopeBytes(bytes: Uint8Array, path: string): SignedEnvelope {
  return openEnvelope(decodeCbor(bytes), path);
}
