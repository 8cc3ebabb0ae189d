import KernelCore
import XCTest

final class TextWriterTests: XCTestCase {
  private func makeWriter(_ color: ColorPair = .standard) -> (TextWriter<MemoryTextScreen>, MemoryTextScreen) {
    let screen = MemoryTextScreen()
    return (TextWriter(storage: screen, color: color), screen)
  }

  func testWritesCharacterAndAttributeInto16BitCells() {
    var (writer, screen) = makeWriter(ColorPair(.lightGreen, on: .blue))
    writer.write("Hi")
    XCTAssertEqual(screen.cells[0], 0x1A48)  // 'H' with attribute 0x1A
    XCTAssertEqual(screen.cells[1], 0x1A69)
    XCTAssertEqual(writer.cursorIndex, 2)
  }

  func testCellOffsetMatchesRowMajorLayout() {
    var (writer, screen) = makeWriter()
    writer.move(toRow: 5, column: 10)
    writer.write(byte: 0x58)
    // Byte offset (5 * 80 + 10) * 2 = 820, the seed's worked example.
    XCTAssertEqual(screen.cells[820 / 2] & 0xFF, 0x58)
  }

  func testNewlineAndCarriageReturn() {
    var (writer, screen) = makeWriter()
    writer.write("abc\nde\rX")
    XCTAssertEqual(screen.text(ofRow: 0), "abc")
    XCTAssertEqual(screen.text(ofRow: 1), "Xe")
    XCTAssertEqual(writer.row, 1)
    XCTAssertEqual(writer.column, 1)
  }

  func testWrapIsDeferredUntilTheNextCharacter() {
    var (writer, screen) = makeWriter()
    for _ in 0..<80 { writer.write(byte: 0x41) }
    XCTAssertEqual(writer.row, 0, "a full row does not wrap by itself")
    XCTAssertEqual(writer.cursorIndex, 79, "the cursor rests on the last column")
    writer.write("\n")
    writer.write("B")
    XCTAssertEqual(screen.text(ofRow: 1), "B", "80 characters then newline leave no empty line")

    writer.write("\n")
    for _ in 0..<81 { writer.write(byte: 0x43) }
    XCTAssertEqual(screen.text(ofRow: 2), String(repeating: "C", count: 80))
    XCTAssertEqual(screen.text(ofRow: 3), "C", "the 81st character wraps to the next row")
  }

  func testScrollsWhenWritingPastTheBottomRow() {
    var (writer, screen) = makeWriter()
    for line in 0..<26 {
      writer.write("line ")
      writer.write(decimal: UInt64(line))
      if line < 25 { writer.write("\n") }
    }
    XCTAssertEqual(screen.text(ofRow: 0), "line 1", "line 0 scrolled off the top")
    XCTAssertEqual(screen.text(ofRow: 23), "line 24")
    XCTAssertEqual(screen.text(ofRow: 24), "line 25")
    XCTAssertEqual(writer.row, 24)
  }

  func testScrolledInRowIsBlankInTheCurrentColour() {
    var (writer, screen) = makeWriter(ColorPair(.white, on: .red))
    for _ in 0..<25 { writer.write("x\n") }
    XCTAssertEqual(screen.text(ofRow: 24), "")
    XCTAssertEqual(screen.cells[24 * 80 + 40], 0x4F20)
  }

  func testBackspaceErasesAndCrossesLineBreaks() {
    var (writer, screen) = makeWriter()
    writer.write("ab\u{8}")
    XCTAssertEqual(screen.text(ofRow: 0), "a")
    XCTAssertEqual(writer.column, 1)
    writer.write("\nX\u{8}\u{8}")
    XCTAssertEqual(writer.row, 0)
    XCTAssertEqual(writer.column, 79)
    XCTAssertEqual(screen.text(ofRow: 1), "")

    var (atOrigin, _) = makeWriter()
    atOrigin.write(byte: 0x08)
    XCTAssertEqual(atOrigin.cursorIndex, 0, "backspace at the top-left corner stays there")
  }

  func testTabAdvancesToTheNextMultipleOfEight() {
    var (writer, screen) = makeWriter()
    writer.write("ab\tc\t\td")
    XCTAssertEqual(screen.text(ofRow: 0), "ab      c               d")
    XCTAssertEqual(writer.column, 25)
  }

  func testClearBlanksEveryCellInTheCurrentColour() {
    var (writer, screen) = makeWriter(ColorPair(.yellow, on: .blue))
    writer.write("some text\nmore")
    writer.clear()
    XCTAssertTrue(screen.cells.allSatisfy { $0 == 0x1E20 })
    XCTAssertEqual(writer.cursorIndex, 0)
  }

  func testColourChangesApplyToLaterCharactersOnly() {
    var (writer, screen) = makeWriter()
    writer.write("a")
    writer.color = ColorPair(.lightRed, on: .black)
    writer.write("b")
    XCTAssertEqual(screen.attribute(row: 0, column: 0), 0x07)
    XCTAssertEqual(screen.attribute(row: 0, column: 1), 0x0C)
  }

  func testFillRestOfRowPaintsWithoutMoving() {
    var (writer, screen) = makeWriter(ColorPair(.white, on: .blue))
    writer.write("T")
    writer.fillRestOfRow()
    XCTAssertEqual(writer.cursorIndex, 1)
    XCTAssertEqual(screen.cells[79], 0x1F20)
    XCTAssertEqual(screen.cells[80], 0)
  }

  func testColorPairAttributeRoundTrip() {
    for attribute in 0...255 {
      let pair = ColorPair(attribute: UInt8(attribute))
      XCTAssertEqual(pair.attribute, UInt8(attribute))
    }
    XCTAssertEqual(ColorPair(.lightGreen, on: .black).attribute, 0x0A)
    XCTAssertEqual(ColorPair.panic.attribute, 0x4F)
  }
}
