import KernelCore
import XCTest

final class FormattingTests: XCTestCase {
  private func format(_ body: (inout ByteCollector) -> Void) -> String {
    var sink = ByteCollector()
    body(&sink)
    return sink.text
  }

  func testDecimal() {
    XCTAssertEqual(format { $0.write(decimal: UInt64(0)) }, "0")
    XCTAssertEqual(format { $0.write(decimal: UInt64(134_217_728)) }, "134217728")
    XCTAssertEqual(format { $0.write(decimal: UInt64.max) }, "18446744073709551615")
    XCTAssertEqual(format { $0.write(decimal: UInt64(42), minimumWidth: 6) }, "    42")
    XCTAssertEqual(format { $0.write(decimal: UInt64(7), minimumWidth: 3, padding: 0x30) }, "007")
    XCTAssertEqual(format { $0.write(decimal: UInt64(12345), minimumWidth: 2) }, "12345")
  }

  func testSignedDecimal() {
    XCTAssertEqual(format { $0.write(decimal: Int64(-42)) }, "-42")
    XCTAssertEqual(format { $0.write(decimal: Int64(-42), minimumWidth: 5) }, "  -42")
    XCTAssertEqual(format { $0.write(decimal: Int64.min) }, "-9223372036854775808")
    XCTAssertEqual(format { $0.write(decimal: Int64(17)) }, "17")
  }

  func testHex() {
    XCTAssertEqual(format { $0.write(hex: 0xB8000) }, "0xb8000")
    XCTAssertEqual(format { $0.write(hex: 0xDEAD, uppercase: true) }, "0xDEAD")
    XCTAssertEqual(format { $0.write(hex: 0x1F, minimumDigits: 4, prefix: false) }, "001f")
    XCTAssertEqual(format { $0.write(hex: 0) }, "0x0")
    XCTAssertEqual(format { $0.write(hex: UInt64.max) }, "0xffffffffffffffff")
  }

  func testByteCountPicksTheLargestExactUnit() {
    XCTAssertEqual(format { $0.write(byteCount: 128 * 1024 * 1024) }, "128 MiB")
    XCTAssertEqual(format { $0.write(byteCount: 639 * 1024) }, "639 KiB")
    XCTAssertEqual(format { $0.write(byteCount: 1536) }, "1536 B")
    XCTAssertEqual(format { $0.write(byteCount: 12 << 30) }, "12 GiB")
    XCTAssertEqual(format { $0.write(byteCount: 0) }, "0 B")
  }

  func testStaticStringAndRepeat() {
    XCTAssertEqual(
      format {
        $0.write("VGA "); $0.write(repeating: 0x2D, count: 3)
      }, "VGA ---")
    XCTAssertEqual(format { $0.write(repeating: 0x2D, count: -2) }, "")
  }

  func testDigitCount() {
    XCTAssertEqual(NumberFormat.digitCount(of: 0, radix: 10), 1)
    XCTAssertEqual(NumberFormat.digitCount(of: 9, radix: 10), 1)
    XCTAssertEqual(NumberFormat.digitCount(of: 10, radix: 10), 2)
    XCTAssertEqual(NumberFormat.digitCount(of: 0xFFFF, radix: 16), 4)
    XCTAssertEqual(NumberFormat.digitCount(of: UInt64.max, radix: 10), 20)
  }
}
