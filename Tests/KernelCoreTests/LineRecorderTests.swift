import KernelCore
import XCTest

final class LineRecorderTests: XCTestCase {
  private func recorded(_ text: String) -> (LineRecorder, String) {
    var recorder = LineRecorder()
    for byte in text.utf8 { recorder.record(byte) }
    var sink = ByteCollector()
    recorder.write(to: &sink)
    return (recorder, sink.text)
  }

  func testKeepsTheLineInProgressOrTheLastCompletedOne() {
    XCTAssertEqual(recorded("first\nsecond").1, "second")
    XCTAssertEqual(recorded("first\nsecond\n").1, "second")
    XCTAssertEqual(recorded("first\n\n\n").1, "first", "empty lines do not replace it")
  }

  func testRecognisesSwiftRuntimeErrors() {
    let (trap, _) = recorded("Swift/ContiguousArrayBuffer.swift:692: Fatal error: Index out of range\n")
    XCTAssertTrue(trap.looksLikeSwiftRuntimeError)
    XCTAssertTrue(trap.contains("Index out of range"))
    XCTAssertFalse(recorded("all is well\n").0.looksLikeSwiftRuntimeError)
  }

  func testTruncatesLongLines() {
    let (recorder, text) = recorded(String(repeating: "x", count: 500))
    XCTAssertEqual(recorder.count, LineRecorder.capacity)
    XCTAssertEqual(text.count, LineRecorder.capacity)
  }
}
