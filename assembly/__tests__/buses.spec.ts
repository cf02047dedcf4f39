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
    expect(port.writeString("AT\r")).toBe(Status.Ok);
    expect(port.written).toBe(3);
    expect(Mock.uartSent(2)!.length).toBe(3);
    Mock.uartReceive(2, bytesOf([0x4f, 0x4b]));
    const rx = new Uint8Array(8);
    expect(port.read(rx)).toBe(Status.Ok);
    expect(port.received).toBe(2);
    expect(port.close()).toBe(Status.Ok);
    expect(port.read(rx)).toBe(Status.InvalidArg);
    expect(Uart.open(2, 0).status).toBe(Status.InvalidArg);
  });

  test("adc converts raw counts to millivolts", () => {
    Mock.adcChannel(0, 2048, 12, 3300);
    const ch = Adc.open(0);
    expect(ch.read()).toBe(Status.Ok);
    expect(ch.raw).toBe(2048);
    expect(ch.millivolts).toBe(1650);
    expect(Adc.open(5).status).toBe(Status.NotFound);
  });

  test("pwm duty is checked and visible to the spec", () => {
    const fan = Pwm.open(1, 25_000);
    expect(fan.setDuty(0.4)).toBe(Status.Ok);
    expect(Mock.pwmDuty(1)).toBeCloseTo(0.4);
    expect(fan.setDuty(1.5)).toBe(Status.InvalidArg);
    expect(fan.close()).toBe(Status.Ok);
    expect(Mock.pwmDuty(1)).toBe(-1);
  });
});
