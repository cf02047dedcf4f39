import { Log, LogLevel, LogLine, Status } from "fwx";
import { Mock } from "fwx/testing";

describe("Log.line", () => {
  beforeEach(() => { Mock.reset(); });

  test("builds a line of text and numbers and sends it at its level", () => {
    const s = Log.line(LogLevel.Warn).str("V=").num(229.456, 1).str(" n=").uint(42).str(" d=").int(-7).str(" fc=").hex(0x83).str(" ok=").bool(true).send();
    expect(s).toBe(Status.Ok);
    expect(Mock.logCount(LogLevel.Warn)).toBe(1);
    expect(Mock.logMessage()).toBe("V=229.5 n=42 d=-7 fc=83 ok=true");
  });

  test("numbers read as Json.num writes them, with words for what has no digits", () => {
    Log.line(LogLevel.Info).num(-0.004).str(" ").num(1.999).str(" ").num(2.5, 0).str(" ").num(1e14, 6).str(" ").num(12.3456789, 9).send();
    expect(Mock.logMessage()).toBe("0.00 2.00 3 100000000000000.0000 12.345679");
    Log.line(LogLevel.Info).num(NaN).str(" ").num(Infinity).str(" ").num(-Infinity).str(" ").num(2e15).str(" ").num(-1e300).send();
    expect(Mock.logMessage()).toBe("nan inf -inf >=1e15 <=-1e15");
  });

  test("integers cover the whole 64-bit range; hex keeps leading zeros", () => {
    Log.line(LogLevel.Info).int(i64.MIN_VALUE).str(" ").uint(u64.MAX_VALUE).str(" ").hex(0x0a, 4).str(" ").hex(0x1234, 2).str(" ").hex(u64.MAX_VALUE, 16).send();
    expect(Mock.logMessage()).toBe("-9223372036854775808 18446744073709551615 000a 34 ffffffffffffffff");
  });

  test("text is UTF-8; a lone surrogate becomes U+FFFD", () => {
    Log.line(LogLevel.Info).str("T=").num(4.25, 1).str(" °C ✓ 😀 ").str(String.fromCharCode(0xd800)).send();
    expect(Mock.logMessage()).toBe("T=4.3 °C ✓ 😀 \uFFFD");
  });

  test("a static text (length byte, then UTF-8; what fwx build passes for a literal-valued function) reads as the string", () => {
    const text = memory.data<u8>([5, 0x44, 0x20, 0xe2, 0x9c, 0x93]); // "D ✓"
    Log.line(LogLevel.Info).str("zone ").strText(text).str(")").send();
    expect(Mock.logMessage()).toBe("zone D ✓)");
  });

  test("a static text is cut at a character boundary like a string", () => {
    const text = memory.data<u8>([5, 0x44, 0x20, 0xe2, 0x9c, 0x93]); // "D ✓"
    const line = Log.line(LogLevel.Info);
    for (let i = 0; i < 126; i++) line.str("é"); // 252 bytes: "D " fits, "✓" does not
    line.strText(text).send();
    const viaText = Mock.logMessage();
    const again = Log.line(LogLevel.Info);
    for (let i = 0; i < 126; i++) again.str("é");
    again.str("D ✓").send();
    expect(viaText).toBe(Mock.logMessage());
    expect(LogLine.truncated).toBe(true);
  });

  test("a long line is cut at 256 bytes on a character boundary and ends in ...", () => {
    const line = Log.line(LogLevel.Info);
    // 128 two-byte characters fill the 256 bytes; the number after them does not fit.
    for (let i = 0; i < 128; i++) line.str("é");
    line.uint(1).send();
    expect(LogLine.truncated).toBe(true);
    // The ellipsis may start at byte 253 at the latest, which is inside a character: it goes at 252.
    expect(LogLine.length).toBe(<usize>255);
    const text = Mock.logMessage();
    expect(text.endsWith("é...")).toBe(true);
    expect(text.length).toBe(126 + 3);
  });

  test("a number that does not fit whole is dropped, not cut in half", () => {
    const line = Log.line(LogLevel.Info);
    for (let i = 0; i < 250; i++) line.str("x");
    line.uint(1234567).str("never").send();
    expect(LogLine.truncated).toBe(true);
    const text = Mock.logMessage();
    expect(text.length).toBe(253);
    expect(text.endsWith("xxx...")).toBe(true);
  });

  test("a line exactly 256 bytes long is not cut", () => {
    const line = Log.line(LogLevel.Info);
    for (let i = 0; i < 253; i++) line.str("x");
    line.uint(123).send();
    expect(LogLine.truncated).toBe(false);
    expect(Mock.logMessage().endsWith("x123")).toBe(true);
  });

  test("Log.line starts over: an unsent line is discarded", () => {
    Log.line(LogLevel.Error).str("abandoned");
    Log.line(LogLevel.Debug).str("kept").send();
    expect(Mock.logCount()).toBe(1);
    expect(Mock.logLevel()).toBe(LogLevel.Debug);
    expect(Mock.logMessage()).toBe("kept");
  });

  test("Log.write cuts a long message at 256 bytes on a character boundary, allocating nothing", () => {
    // 100 three-byte characters: 300 bytes of UTF-8; 85 of them (255 bytes) fit.
    const message = "€".repeat(100);
    const before = Mock.allocations();
    const s = Log.warn(message);
    const after = Mock.allocations();
    expect(s).toBe(Status.Ok);
    expect(after - before).toBe(0);
    expect(Mock.logMessage()).toBe("€".repeat(85));
  });

  test("the host's Busy (rate limit) comes back from send()", () => {
    Mock.failNext("core.log", Status.Busy);
    expect(Log.line(LogLevel.Info).str("x").send()).toBe(Status.Busy);
  });
});
