// The Modbus master: one transaction at a time on the RS-485 port.
//
//   poll timer ─▶ send request ─▶ Waiting ─┬─ rx: complete, valid ─▶ use it ─▶ Idle
//                      ▲                   ├─ rx: bad CRC/unit/length ─┐
//                      │                   ├─ reply timer: timeout ────┤
//                      └── Pausing ◀── retry left? ◀───────────────────┘
//                                                  └─ no: poll failed, comm alarm
//
// Responses are assembled from rx events (each says bytes are waiting) with
// non-blocking reads; the reply timer bounds how long a response may take
// and, between attempts, keeps the line silent for 3.5 characters so the
// slave sees the retry as a new frame.
import { EventKind, Log, LogLevel, Status, Timer, UartPort } from "fwx";
import { Settings } from "./settings";
import { Publisher } from "./publisher";
import {
  FN_READ_HOLDING, FN_READ_INPUT, REQUEST_LENGTH, Verdict, buildReadRequest, checkReadResponse,
  exceptionIsTransient, exceptionName, registerF32, registerU16, verdictName,
} from "./frame";

export const UART_PORT: u32 = 1;
export const POLL_TIMER: u32 = 1;
/** Response timeout while waiting; the pre-retry silence while pausing. */
export const REPLY_TIMER: u32 = 2;

// The demo meter's register map (boards/demo.json, energy_meter).
export const ID_START: u16 = 0;
/** Holding registers 0..2: demand period (min), CT ratio, unit id. */
export const ID_COUNT: u16 = 3;
export const MEASURE_START: u16 = 0;
/** Input registers 0..9: voltage, current, active power, energy, frequency as float32 pairs. */
export const MEASURE_COUNT: u16 = 10;

/** Why fwx_init failed; the host reports the number. */
export const enum InitError {
  None = 0,
  PortUnavailable = 1,
  TimerUnavailable = 2,
}

export const enum Phase {
  Idle = 0,
  Waiting = 1,
  Pausing = 2,
}

/** Failure of one attempt: a Verdict, or one of these. */
export const FAIL_TIMEOUT: i32 = 100;
export const FAIL_TRUNCATED: i32 = 101;
export const FAIL_LINE: i32 = 102;
export const FAIL_WRITE: i32 = 103;

function failureName(reason: i32, exceptionCode: u32): string {
  if (reason == FAIL_TIMEOUT) return "no response";
  if (reason == FAIL_TRUNCATED) return "response cut short";
  if (reason == FAIL_LINE) return "line error (parity/framing/overrun)";
  if (reason == FAIL_WRITE) return "request not sent";
  if (reason == Verdict.Exception) return exceptionName(exceptionCode);
  return verdictName(<Verdict>reason);
}

const RX_CAP: i32 = 64;

export class Meter {
  /** The running meter, set by fwx_init once the port is open and polling, cleared by stop(). */
  static current: Meter | null = null;

  phase: Phase = Phase.Idle;
  identified: bool = false;
  attempt: u32 = 0;
  /** The reason of the last failed attempt, for diagnostics. */
  lastFailure: i32 = 0;
  /** Code of the last exception response. */
  lastException: u32 = 0;
  /** Polls that failed all their attempts (reported with the comm alarm). */
  failedPolls: u32 = 0;
  /** Polls skipped because the previous one was still running (logged once). */
  skippedPolls: u32 = 0;
  /** Bytes drained outside a transaction: late answers, line noise. */
  strayBytes: u32 = 0;

  /** The response being assembled; between transactions also where stray bytes are drained to. */
  readonly frame: Uint8Array = new Uint8Array(RX_CAP);
  frameLength: i32 = 0;
  private readonly request: Uint8Array = new Uint8Array(REQUEST_LENGTH);
  readonly publisher: Publisher;

  constructor(readonly settings: Settings, readonly port: UartPort) {
    this.publisher = new Publisher(settings);
  }

  /** Starts the poll timer and the first transaction (identification). */
  startPolling(): Status {
    const st = Timer.every(POLL_TIMER, this.settings.pollPeriodMs);
    if (st == Status.Ok) this.poll();
    return st;
  }

  /** Cancels both timers and closes the port. */
  stop(): void {
    Timer.cancel(POLL_TIMER);
    Timer.cancel(REPLY_TIMER);
    this.port.close();
    Meter.current = null;
  }

  /** 1 while the meter_comm alarm is active (the last poll failed all its attempts), else 0. */
  health(): i32 {
    return this.publisher.commLost ? 1 : 0;
  }

  onTimer(id: u32): void {
    if (id == POLL_TIMER) this.poll();
    else if (id == REPLY_TIMER) {
      if (this.phase == Phase.Waiting) this.attemptFailed(this.frameLength == 0 ? FAIL_TIMEOUT : FAIL_TRUNCATED);
      else if (this.phase == Phase.Pausing) this.send();
    }
  }

  onEvent(kind: u32, handle: u32): void {
    if (kind != EventKind.UartRx || handle != this.port.handle) return;
    if (this.phase != Phase.Waiting) {
      this.drain();
      return;
    }
    this.receive();
  }

  private poll(): void {
    if (this.phase != Phase.Idle) {
      // The previous transaction (with its retries) is still running: the
      // poll period is shorter than timeout x attempts. Say so once.
      if (this.skippedPolls++ == 0) Log.warn("poll skipped: previous request still in progress (poll_period_s too short for the timeout and retries?)");
      return;
    }
    this.attempt = 0;
    this.send();
  }

  private get fn(): u8 { return this.identified ? FN_READ_INPUT : FN_READ_HOLDING; }
  private get count(): u16 { return this.identified ? MEASURE_COUNT : ID_COUNT; }

  private send(): void {
    this.drain();
    this.frameLength = 0;
    const start = this.identified ? MEASURE_START : ID_START;
    buildReadRequest(this.request, this.settings.unitId, this.fn, start, this.count);
    if (this.port.write(this.request) != Status.Ok || this.port.written != <u32>REQUEST_LENGTH) {
      this.phase = Phase.Waiting;
      this.attemptFailed(FAIL_WRITE);
      return;
    }
    this.phase = Phase.Waiting;
    Timer.after(REPLY_TIMER, this.settings.responseTimeoutMs);
  }

  /** Reads and forgets whatever is waiting: late answers, line noise. */
  private drain(): void {
    for (let guard = 0; guard < 64; guard++) {
      const st = this.port.read(this.frame);
      this.strayBytes += this.port.received;
      if (this.port.received == 0 && st == Status.Ok) return;
    }
  }

  private receive(): void {
    // Appended in place behind what earlier rx events brought.
    const st = this.port.readAt(this.frame, this.frameLength);
    this.frameLength += <i32>this.port.received;
    if (st != Status.Ok) {
      Timer.cancel(REPLY_TIMER);
      this.attemptFailed(FAIL_LINE);
      return;
    }
    // The longest response asked for is 25 bytes: a full buffer is noise or
    // a slave talking out of turn, whatever is still waiting.
    if (this.frameLength == RX_CAP) {
      Timer.cancel(REPLY_TIMER);
      this.attemptFailed(Verdict.BadLength);
      return;
    }
    const v = checkReadResponse(this.frame, this.frameLength, this.settings.unitId, this.fn, this.count);
    if (v == Verdict.Incomplete) return;
    Timer.cancel(REPLY_TIMER);
    if (v == Verdict.Ok) this.completed();
    else if (v == Verdict.Exception) this.exception(this.frame[2]);
    else this.attemptFailed(v);
  }

  private exception(code: u32): void {
    this.lastException = code;
    if (exceptionIsTransient(code)) {
      this.attemptFailed(Verdict.Exception);
      return;
    }
    // Asking again cannot help: this meter does not have what we ask for.
    Log.line(LogLevel.Error).str("meter unit ").uint(this.settings.unitId).str(" refused function ").hex(this.fn)
      .str(": exception ").hex(code).str(" (").str(exceptionName(code)).str(")").send();
    this.phase = Phase.Idle;
    if (!this.identified) {
      // Identification is informative only; a meter without these holding
      // registers can still be read.
      this.identified = true;
      Log.warn("meter identification not supported; reading measurements without it");
      this.attempt = 0;
      this.send();
      return;
    }
    this.pollFailed(Verdict.Exception);
  }

  private attemptFailed(reason: i32): void {
    this.lastFailure = reason;
    // Once the comm alarm is up, every poll fails the same way: keep the log readable.
    const line = Log.line(this.publisher.commLost ? LogLevel.Debug : LogLevel.Warn).str("meter unit ").uint(this.settings.unitId).str(": ");
    if (reason == Verdict.Exception) line.str("exception ").hex(this.lastException).str(" (");
    line.str(failureName(reason, this.lastException));
    if (reason == Verdict.Exception) line.str(")");
    line.str(" (attempt ").uint(this.attempt + 1).str(" of ").uint(this.settings.retries + 1).str(")").send();
    if (this.attempt < this.settings.retries) {
      this.attempt++;
      this.phase = Phase.Pausing;
      Timer.after(REPLY_TIMER, this.settings.silenceMs);
      return;
    }
    this.phase = Phase.Idle;
    this.pollFailed(reason);
  }

  private pollFailed(reason: i32): void {
    this.failedPolls++;
    this.publisher.commFailed(failureName(reason, this.lastException), this.failedPolls);
  }

  private completed(): void {
    this.phase = Phase.Idle;
    this.publisher.commRestored();
    if (!this.identified) {
      this.identified = true;
      const demandMin = registerU16(this.frame, 0);
      const ctRatio = registerU16(this.frame, 1);
      const unitReg = registerU16(this.frame, 2);
      Log.line(LogLevel.Info).str("meter unit ").uint(this.settings.unitId).str(" identified: demand period ").uint(demandMin)
        .str(" min, CT ratio ").uint(ctRatio).str(", unit register ").uint(unitReg).send();
      this.publisher.publishInfo(this.settings.unitId, demandMin, ctRatio);
      // Measure in the same poll slot, right away.
      this.attempt = 0;
      this.send();
      return;
    }
    this.publisher.reading(
      <f64>registerF32(this.frame, 0),
      <f64>registerF32(this.frame, 2),
      <f64>registerF32(this.frame, 4),
      <f64>registerF32(this.frame, 6),
      <f64>registerF32(this.frame, 8),
    );
  }
}
