import KernelCore
import XCTest

final class LineEditorTests: XCTestCase {
  private func feed(_ text: String, _ editor: inout LineEditor) -> [LineEditor.Action] {
    text.utf8.map { editor.handle($0) }
  }

  private func line(_ editor: LineEditor) -> String {
    String(decoding: (0..<editor.count).map { editor.byte(at: $0) }, as: UTF8.self)
  }

  func testEchoesAndSubmits() {
    var editor = LineEditor()
    XCTAssertEqual(feed("ls\n", &editor), [.echo(0x6C), .echo(0x73), .submit])
    XCTAssertEqual(line(editor), "ls")
    editor.reset()
    XCTAssertEqual(editor.count, 0)
    XCTAssertEqual(editor.handle(0x0D), .submit, "CR also submits")
  }

  func testBackspaceAndDelete() {
    var editor = LineEditor()
    _ = feed("abc", &editor)
    XCTAssertEqual(editor.handle(0x08), .erase(1))
    XCTAssertEqual(editor.handle(0x7F), .erase(1))
    XCTAssertEqual(line(editor), "a")
    XCTAssertEqual(editor.handle(0x08), .erase(1))
    XCTAssertEqual(editor.handle(0x08), .none, "nothing left to erase")
  }

  func testControlUAndControlC() {
    var editor = LineEditor()
    _ = feed("hello", &editor)
    XCTAssertEqual(editor.handle(0x15), .erase(5))
    XCTAssertEqual(editor.count, 0)
    _ = feed("x", &editor)
    XCTAssertEqual(editor.handle(0x03), .cancel)
    XCTAssertEqual(editor.count, 0)
  }

  func testIgnoresControlBytesAndStopsAtCapacity() {
    var editor = LineEditor()
    XCTAssertEqual(editor.handle(0x1B), .none)
    XCTAssertEqual(editor.handle(0x09), .echo(0x20), "tab becomes a space")
    for _ in 0..<200 { _ = editor.handle(0x61) }
    XCTAssertEqual(editor.count, LineEditor.capacity)
    XCTAssertEqual(editor.handle(0x61), .none)
  }

  func testWords() {
    var editor = LineEditor()
    _ = feed("  color  white   red ", &editor)
    XCTAssertEqual(editor.wordCount, 3)
    XCTAssertTrue(editor.word(0, is: "color"))
    XCTAssertFalse(editor.word(0, is: "colo"))
    XCTAssertFalse(editor.word(0, is: "colors"))
    XCTAssertTrue(editor.word(2, is: "red"))
    XCTAssertNil(editor.word(3))
    let rest = editor.rest(after: 0)
    XCTAssertEqual(
      String(decoding: rest.map { editor.byte(at: $0) }, as: UTF8.self), "white   red ")
  }
}
