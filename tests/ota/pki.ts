// A throw-away PKI for the TLS tests, made with the openssl CLI in a temp
// directory (no key is ever checked in): a CA, a server certificate for
// 127.0.0.1/localhost, and client certificates whose CN is the identity
// (a device id, or a tool's name).

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

export interface Pki {
  dir: string;
  ca: string;
  server: { cert: string; key: string };
  clients: Record<string, { cert: string; key: string }>;
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8", timeout: 20_000 });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
}

/** EC P-256 keys: fast to make and accepted by Node and Mosquitto alike. */
const NEW_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export function makePki(dir: string, clientNames: string[], caName = "fwx-test-ca"): Pki {
  const root = resolve(import.meta.dirname, "../..");
  const ensured = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, join(root, "scripts/ensure-openssl.mjs")], { stdio: "inherit" });
  if (ensured.status !== 0) throw new Error("openssl is needed to make the test certificates (scripts/ensure-openssl.mjs failed)");
  const p = (f: string) => join(dir, f);
  openssl(dir, ["req", "-x509", ...NEW_KEY, "-keyout", `${caName}.key`, "-out", `${caName}.pem`, "-days", "2", "-subj", `/CN=${caName}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  const issue = (name: string, ext: string) => {
    writeFileSync(p(`${name}.ext`), ext);
    openssl(dir, ["req", ...NEW_KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`]);
    openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${caName}.pem`, "-CAkey", `${caName}.key`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`]);
    return { cert: p(`${name}.pem`), key: p(`${name}.key`) };
  };
  const server = issue("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  const clients: Pki["clients"] = {};
  for (const n of clientNames) clients[n] = issue(n, "extendedKeyUsage=clientAuth\n");
  return { dir, ca: p(`${caName}.pem`), server, clients };
}
