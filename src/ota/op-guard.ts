// The device's gate for signed commands: operator certificate and signature,
// scope, and the replay counter, which is persisted before the command runs
// (a command whose counter was recorded is never run twice, whoever restarts
// when). Also keeps the revocation list: only a root-signed list with a higher
// serial replaces the one kept.
//
//   anti-rollback store, "commands"   highest counter accepted: outside the state
//                                     directory, so restoring an old copy of it
//                                     does not make captured commands new again
//   <state>/revocations.fwxrl         the kept revocation list
//   anti-rollback store, "revocations" the highest serial ever kept: an older (or
//                                     missing, or damaged) list in the state
//                                     directory would un-revoke, so the agent
//                                     refuses to start with one

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurable } from "../fs/durable.js";
import { checkOperatorCertificate, TrustRefused } from "../pkg/identity.js";
import { verifyRevocationList, type RevocationList } from "../pkg/revocation.js";
import { commandSignatureValid, type OpenedCommand } from "./signed-command.js";
import { STATE_DIR_WRITE } from "./state-store.js";
import { COMMAND_COUNTER, REVOCATION_SERIAL, type AntiRollbackStore } from "./anti-rollback.js";

/** The kept revocation list is older than one this device already enforced: starting would un-revoke. */
export class RevocationsRolledBack extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RevocationsRolledBack";
  }
}

export interface GuardContext {
  stateDir: string;
  /** Where the command counter is kept (outside the state directory). */
  floor: AntiRollbackStore;
  rootPublicKey: Uint8Array;
  device: { id: string; customer: string; group: string };
  nowMs(): number;
  /** A root-signed list given at start (`fwx agent --revocations`): kept if newer than the kept one, as if delivered. */
  seedRevocations?: Uint8Array;
}


export class OperationGuard {
  private revokedList: RevocationList | null = null;
  /**
   * The answer to the last accepted command when it was a begin or an abort: the tool repeats those
   * bytes until answered (its reply may be lost), and gets the same answer, nothing runs twice. Any
   * other repeat, and any older command, is refused as replayed.
   */
  private last: { digest: string; answer: Record<string, unknown> } | null = null;
  private readonly revocationFile: string;

  constructor(private readonly ctx: GuardContext, onProblem: (message: string) => void = () => {}) {
    this.revocationFile = join(ctx.stateDir, "revocations.fwxrl");
    let problem = "";
    if (existsSync(this.revocationFile)) {
      try {
        this.revokedList = verifyRevocationList(new Uint8Array(readFileSync(this.revocationFile)), ctx.rootPublicKey, this.revocationFile);
      } catch (e) {
        problem = (e as Error).message;
        onProblem(`kept revocation list ignored: ${problem}`);
      }
    }
    if (ctx.seedRevocations) {
      try {
        this.updateRevocations(ctx.seedRevocations);
      } catch (e) {
        throw new RevocationsRolledBack(`the revocation list given at start does not verify: ${(e as Error).message}`);
      }
    }
    const kept = this.revokedList?.serial ?? 0;
    const enforced = ctx.floor.get(REVOCATION_SERIAL);
    if (kept < enforced) {
      throw new RevocationsRolledBack(`${this.revocationFile}: ${this.revokedList ? `the kept revocation list has serial ${kept}` : problem ? `unusable (${problem})` : "missing"}, but this device already enforced serial ${enforced} (${ctx.floor.description}): ` +
        "an older state directory would un-revoke what that list revoked. Give the current list with --revocations <file> (or copy it there)");
    }
    // A list kept before the store knew about it (or before a power cut between the two writes).
    ctx.floor.raise({ [REVOCATION_SERIAL]: kept });
  }

  /** Highest counter accepted: the next signed command must carry a higher one. */
  get counter(): number {
    return this.ctx.floor.get(COMMAND_COUNTER);
  }

  get revoked(): RevocationList | null {
    return this.revokedList;
  }

  /** The answer already given to these exact command bytes, if they were accepted recently. */
  repeated(cmd: OpenedCommand): Record<string, unknown> | null {
    return this.last && this.last.digest === Buffer.from(cmd.digest).toString("hex") && cmd.body.counter === this.counter ? this.last.answer : null;
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
    if (cmd.body.counter <= this.counter) throw new TrustRefused("replayed", `counter ${cmd.body.counter} is not above ${this.counter}, the highest this device accepted`);
    // Recorded before the command runs: a crash after this point can lose the command, never replay it.
    this.ctx.floor.raise({ [COMMAND_COUNTER]: cmd.body.counter });
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
    // The list first, then its serial in the store: a power cut between them leaves a list the store catches up with at start.
    writeFileDurable(this.revocationFile, bytes, STATE_DIR_WRITE);
    this.revokedList = list;
    this.ctx.floor.raise({ [REVOCATION_SERIAL]: list.serial });
    return { serial: list.serial, replaced: true };
  }
}
