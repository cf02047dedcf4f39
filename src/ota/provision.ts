// Issuing identities in one step, for the demo, the bench and the tests (the
// CLI does the same in two: `fwx keys gen`, then `fwx cert device|operator`).

import type { KeyObject } from "node:crypto";
import { generateKeyPair } from "../pkg/keys.js";
import { issueDeviceCertificate, issueOperatorCertificate, type OperatorCertificate } from "../pkg/identity.js";
import type { OperatorCredentials } from "./signed-command.js";

const DAY = 86400;

/** A device key and its root-signed certificate, as provisioning gives a device. */
export function provisionDevice(rootKey: KeyObject, d: { deviceId: string; customer: string; group: string; validDays?: number }): { deviceKey: KeyObject; deviceCert: Uint8Array } {
  const k = generateKeyPair();
  const now = Math.floor(Date.now() / 1000);
  const deviceCert = issueDeviceCertificate({ deviceId: d.deviceId, deviceKey: k.publicKey, customer: d.customer, group: d.group, notBefore: now - 60, notAfter: now + (d.validDays ?? 3650) * DAY }, rootKey);
  return { deviceKey: k.privateKey, deviceCert };
}

/** An operator key and its root-signed certificate (default: every operation, for an hour). */
export function provisionOperator(rootKey: KeyObject, scope: Partial<Omit<OperatorCertificate, "operatorKey">> & { customers: string[] }): OperatorCredentials {
  const k = generateKeyPair();
  const now = Math.floor(Date.now() / 1000);
  const cert: OperatorCertificate = {
    operatorId: scope.operatorId ?? "operator", operatorKey: k.publicKey, operations: scope.operations ?? ["*"], customers: scope.customers,
    notBefore: scope.notBefore ?? now - 60, notAfter: scope.notAfter ?? now + 3600,
    ...(scope.groups ? { groups: scope.groups } : {}), ...(scope.devices ? { devices: scope.devices } : {}),
  };
  return { key: k.privateKey, cert: issueOperatorCertificate(cert, rootKey) };
}
