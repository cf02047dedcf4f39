import { Adc, I2c, Parity, Pwm, Spi, Status, StopBits, Uart } from "fwx";
import { Mock } from "fwx/testing";

function bytesOf(a: u8[]): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i];
  return out;
}

describe("I2c", () => {
  beforeEach(() => { Mock.reset(); });

  test("register write-read against a simulated target", () => {
    Mock.i2cDevice(1, 0x48, bytesOf([0x00, 0x19, 0x80, 0x00]));
    const rx = new Uint8Array(2);
    expect(I2c.writeRead(1, 0x48, bytesOf([0x01]), rx)).toBe(Status.Ok);
    expect(rx[0]).toBe(0x19);
    expect(rx[1]).toBe(0x80);
    expect(I2c.write(1, 0x48, bytesOf([0x03, 0xaa]))).toBe(Status.Ok);
    expect(Mock.i2cRegister(1, 0x48, 3)).toBe(0xaa);
  });

  test("nothing at the address is NackAddress; a forced status is returned as is", () => {
    expect(I2c.read(1, 0x50, new Uint8Array(1))).toBe(Status.NackAddress);
    Mock.i2cDevice(1, 0x48, bytesOf([0]));
    Mock.failNext("i2c.write_read", Status.ArbitrationLoss);
    expect(I2c.writeRead(1, 0x48, bytesOf([0]), new Uint8Array(1))).toBe(Status.ArbitrationLoss);
  });

  test("a 10-bit address is invalid-arg", () => {
    expect(I2c.write(1, <u8>0x80, new Uint8Array(0))).toBe(Status.InvalidArg);
  });

  test("a queued register gives one entry per read transaction that covers it, then keeps the last", () => {
    Mock.i2cDevice(1, 0x53, new Uint8Array(64));
    // Two 2-byte entries for registers 0x32/0x33.
    Mock.i2cQueue(1, 0x53, 0x32, bytesOf([0x11, 0x12, 0x21, 0x22]), 2);
    expect(Mock.i2cQueued(1, 0x53, 0x32)).toBe(2);
    const rx = new Uint8Array(2);
    expect(I2c.writeRead(1, 0x53, bytesOf([0x32]), rx)).toBe(Status.Ok);
    expect(rx[0]).toBe(0x11);
    expect(rx[1]).toBe(0x12);
    // A read starting below the register still covers it: it takes the next entry.
    const wide = new Uint8Array(4);
    expect(I2c.writeRead(1, 0x53, bytesOf([0x30]), wide)).toBe(Status.Ok);
    expect(wide[2]).toBe(0x21);
    expect(wide[3]).toBe(0x22);
    expect(Mock.i2cQueued(1, 0x53, 0x32)).toBe(0);
    // A read that does not reach the register leaves the queue alone.
    Mock.i2cQueue(1, 0x53, 0x32, bytesOf([0x31, 0x32]), 2);
    expect(I2c.writeRead(1, 0x53, bytesOf([0x30]), rx)).toBe(Status.Ok);
    expect(Mock.i2cQueued(1, 0x53, 0x32)).toBe(1);
    // Drained: the registers keep the last entry.
    expect(I2c.writeRead(1, 0x53, bytesOf([0x32]), rx)).toBe(Status.Ok);
    expect(I2c.writeRead(1, 0x53, bytesOf([0x32]), rx)).toBe(Status.Ok);
    expect(rx[0]).toBe(0x31);
    expect(Mock.i2cRegister(1, 0x53, 0x33)).toBe(0x32);
  });

  test("one register can be set without replacing the device; a new device drops the queues", () => {
    Mock.i2cDevice(1, 0x53, bytesOf([0xe5, 0, 0, 0]));
    Mock.i2cQueue(1, 0x53, 2, bytesOf([7, 8, 9]));
    Mock.i2cSetRegister(1, 0x53, 1, 0x81);
    expect(Mock.i2cRegister(1, 0x53, 0)).toBe(0xe5);
    expect(Mock.i2cRegister(1, 0x53, 1)).toBe(0x81);
    expect(Mock.i2cQueued(1, 0x53, 2)).toBe(3);
    Mock.i2cDevice(1, 0x53, bytesOf([0, 0, 0, 0]));
    expect(Mock.i2cQueued(1, 0x53, 2)).toBe(0);
    expect(Mock.i2cQueued(1, 0x54, 2)).toBe(-1);
  });
});

describe("Spi, Uart, Adc, Pwm", () => {
  beforeEach(() => { Mock.reset(); });

  test("spi transfers full duplex and records what was sent", () => {
    Mock.spiDevice(0, 1, bytesOf([0xde, 0xad]));
    const rx = new Uint8Array(2);
    expect(Spi.transfer(0, 1, bytesOf([0x9f, 0x00]), rx)).toBe(Status.Ok);
    expect(rx[0]).toBe(0xde);
    expect(Mock.spiSent(0, 1)![0]).toBe(0x9f);
    expect(Spi.transfer(0, 1, bytesOf([1, 2]), new Uint8Array(1))).toBe(Status.InvalidArg);
  });

  test("uart writes, reads what arrived, and closes", () => {
    const port = Uart.open(2, 9600, Parity.Even, StopBits.One);
    expect(port.ok).toBe(true);
    expect(Mock.uartHandle(2)).toBe(port.handle);
    expect(Mock.uartBaud(2)).toBe(9600);
    expect(Mock.uartParity(2)).toBe(Parity.Even);
    expect(Mock.uartStopBits(2)).toBe(StopBits.One);
    expect(port.writeString("AT\r")).toBe(Status.Ok);
    expect(port.written).toBe(3);
    expect(Mock.uartSent(2)!.length).toBe(3);
    Mock.uartReceive(2, bytesOf([0x4f, 0x4b]));
    const rx = new Uint8Array(8);
    expect(port.read(rx)).toBe(Status.Ok);
    expect(port.received).toBe(2);
    expect(port.close()).toBe(Status.Ok);
    expect(Mock.uartHandle(2)).toBe(0);
    // The line settings of the last open stay visible after close.
    expect(Mock.uartBaud(2)).toBe(9600);
    expect(port.read(rx)).toBe(Status.InvalidArg);
    expect(Uart.open(2, 0).status).toBe(Status.InvalidArg);
    expect(Mock.uartBaud(3)).toBe(0);
    expect(Mock.uartParity(3)).toBe(-1);
  });

  test("uart readAt appends behind what a frame already holds, in place", () => {
    const port = Uart.open(1, 19200, Parity.None, StopBits.Two);
    expect(Mock.uartStopBits(1)).toBe(StopBits.Two);
    const frame = new Uint8Array(6);
    Mock.uartReceive(1, bytesOf([1, 2, 3]));
    expect(port.read(frame)).toBe(Status.Ok);
    expect(port.received).toBe(3);
    Mock.uartReceive(1, bytesOf([4, 5, 6, 7, 8]));
    const before = Mock.allocations();
    const st = port.readAt(frame, 3);
    const after = Mock.allocations();
    expect(st).toBe(Status.Ok);
    expect(after - before).toBe(0);
    // Only the room left in the frame is taken; the rest keeps waiting.
    expect(port.received).toBe(3);
    for (let i = 0; i < 6; i++) expect(frame[i]).toBe(<u8>(i + 1));
    expect(Mock.uartWaiting(1)).toBe(2);
    expect(port.readAt(frame, 6)).toBe(Status.Ok);
    expect(port.received).toBe(0);
    expect(port.readAt(frame, 7)).toBe(Status.InvalidArg);
    expect(port.readAt(frame, -1)).toBe(Status.InvalidArg);
    // The two out-of-range offsets never reached the host.
    expect(Mock.callCount("uart.read")).toBe(3);
  });

  test("uart raw pointer forms read into and write from static memory", () => {
    const port = Uart.open(1, 9600);
    const buf = memory.data(8);
    store<u32>(buf, 0x04030201);
    expect(port.writeFrom(buf + 1, 2)).toBe(Status.Ok);
    expect(port.written).toBe(2);
    const sent = Mock.uartSent(1)!;
    expect(sent.length).toBe(2);
    expect(sent[0]).toBe(2);
    expect(sent[1]).toBe(3);
    Mock.uartReceive(1, bytesOf([9, 9, 9]));
    Mock.failNext("uart.read", Status.Parity);
    expect(port.readInto(buf, 8)).toBe(Status.Parity);
    expect(Mock.uartParity(1)).toBe(Parity.None);
    expect(Mock.uartStopBits(1)).toBe(StopBits.One);
  });

  test("adc converts raw counts to millivolts", () => {
    Mock.adcChannel(0, 2048, 12, 3300);
    const ch = Adc.open(0);
    expect(ch.read()).toBe(Status.Ok);
    expect(ch.raw).toBe(2048);
    expect(ch.millivolts).toBe(1650);
    expect(ch.info()).toBe(Status.Ok);
    expect(ch.bits).toBe(12);
    expect(ch.vrefMv).toBe(3300);
    const missing = Adc.open(5);
    expect(missing.status).toBe(Status.NotFound);
    expect(missing.read()).toBe(Status.NotFound);
    expect(Mock.callCount("adc.read")).toBe(1);
  });

  test("pwm duty is checked and visible to the spec", () => {
    const fan = Pwm.open(1, 25_000);
    expect(fan.setDuty(0.4)).toBe(Status.Ok);
    expect(Mock.pwmDuty(1)).toBeCloseTo(0.4);
    expect(fan.setDuty(1.5)).toBe(Status.InvalidArg);
    expect(fan.close()).toBe(Status.Ok);
    expect(Mock.pwmDuty(1)).toBe(-1);
    // Given back: the object refuses further calls without reaching the host.
    expect(fan.ok).toBe(false);
    expect(fan.setDuty(0.5)).toBe(Status.InvalidArg);
    expect(fan.close()).toBe(Status.InvalidArg);
    expect(Mock.callCount("pwm.close")).toBe(1);
    expect(Pwm.open(9, 0).setDuty(0.5)).toBe(Status.InvalidArg);
  });
});
