// The device's gate for signed commands: operator certificate and signature,
// scope, and the replay counter, which is persisted before the command runs
// (a command whose counter was recorded is never run twice, whoever restarts
// when). Also keeps the revocation list: only a root-signed list with a higher
// serial replaces the one kept.
//
//   <state>/operations.json   {"counter": n}   highest counter accepted
//   <state>/revocations.fwxrl                  the kept revocation list

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurable } from "../fs/durable.js";
import { checkOperatorCertificate, TrustRefused } from "../pkg/identity.js";
import { verifyRevocationList, type RevocationList } from "../pkg/revocation.js";
import { commandSignatureValid, type OpenedCommand } from "./signed-command.js";
import { STATE_DIR_WRITE } from "./state-store.js";

export interface GuardContext {
  stateDir: string;
  rootPublicKey: Uint8Array;
  device: { id: string; customer: string; group: string };
  nowMs(): number;
}


export class OperationGuard {
  private counterValue = 0;
  private revokedList: RevocationList | null = null;
  /**
   * The answer to the last accepted command when it was a begin or an abort: the tool repeats those
   * bytes until answered (its reply may be lost), and gets the same answer, nothing runs twice. Any
   * other repeat, and any older command, is refused as replayed.
   */
  private last: { digest: string; answer: Record<string, unknown> } | null = null;
  private readonly counterFile: string;
  private readonly revocationFile: string;

  constructor(private readonly ctx: GuardContext, onProblem: (message: string) => void = () => {}) {
    this.counterFile = join(ctx.stateDir, "operations.json");
    this.revocationFile = join(ctx.stateDir, "revocations.fwxrl");
    if (existsSync(this.counterFile)) {
      try {
        const n = (JSON.parse(readFileSync(this.counterFile, "utf8")) as { counter?: unknown }).counter;
        if (Number.isSafeInteger(n) && (n as number) >= 0) this.counterValue = n as number;
        else onProblem(`${this.counterFile}: no counter; commands start from 1`);
      } catch (e) {
        onProblem(`${this.counterFile}: ${(e as Error).message}`);
      }
    }
    if (existsSync(this.revocationFile)) {
      try {
        this.revokedList = verifyRevocationList(new Uint8Array(readFileSync(this.revocationFile)), ctx.rootPublicKey, this.revocationFile);
      } catch (e) {
        onProblem(`kept revocation list ignored: ${(e as Error).message}`);
      }
    }
  }

  /** Highest counter accepted: the next signed command must carry a higher one. */
  get counter(): number {
    return this.counterValue;
  }

  get revoked(): RevocationList | null {
    return this.revokedList;
  }

  /** The answer already given to these exact command bytes, if they were accepted recently. */
  repeated(cmd: OpenedCommand): Record<string, unknown> | null {
    return this.last && this.last.digest === Buffer.from(cmd.digest).toString("hex") && cmd.body.counter === this.counterValue ? this.last.answer : null;
  }

  remember(cmd: OpenedCommand, answer: Record<string, unknown>): void {
    this.last = cmd.body.op === "begin" || cmd.body.op === "abort" ? { digest: Buffer.from(cmd.digest).toString("hex"), answer } : null;
  }

  /**
   * Checks a signed command and records its counter durably; throws
   * TrustRefused with the reason. After it returns, the command may run.
   */
  admit(cmd: OpenedCommand): void {
    const d = this.ctx.device;
    if (cmd.body.device !== d.id) throw new TrustRefused("out-of-scope", `command is addressed to device ${cmd.body.device}, this is ${d.id}`);
    const op = checkOperatorCertificate(cmd.operatorCert, { rootPublicKey: this.ctx.rootPublicKey, nowMs: this.ctx.nowMs(), op: cmd.body.op, device: d, revoked: this.revokedList });
    if (!commandSignatureValid(cmd, op.cert.operatorKey)) throw new TrustRefused("bad-signature", `command signature does not verify under operator "${op.cert.operatorId}"'s key`);
    if (cmd.body.counter <= this.counterValue) throw new TrustRefused("replayed", `counter ${cmd.body.counter} is not above ${this.counterValue}, the highest this device accepted`);
    // Recorded before the command runs: a crash after this point can lose the command, never replay it.
    writeFileDurable(this.counterFile, JSON.stringify({ counter: cmd.body.counter }) + "\n", STATE_DIR_WRITE);
    this.counterValue = cmd.body.counter;
  }

  /** Keeps a root-signed revocation list if its serial is higher than the kept one's; returns the serial kept. */
  updateRevocations(bytes: Uint8Array): { serial: number; replaced: boolean } {
    let list: RevocationList;
    try {
      list = verifyRevocationList(bytes, this.ctx.rootPublicKey, "delivered revocation list");
    } catch (e) {
      throw new TrustRefused("bad-signature", (e as Error).message);
    }
    const kept = this.revokedList?.serial ?? 0;
    if (list.serial <= kept) return { serial: kept, replaced: false };
    writeFileDurable(this.revocationFile, bytes, STATE_DIR_WRITE);
    this.revokedList = list;
    return { serial: list.serial, replaced: true };
  }
}
