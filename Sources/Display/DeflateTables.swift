// The constant tables of DEFLATE (RFC 1951 section 3.2.5 and 3.2.6), shared by the decoder (Inflate.swift)
// and the encoder (Deflate.swift) so the two cannot disagree.

enum DeflateTables {
  /// Length codes 257...285: base match length and number of extra bits.
  static let lengthBase: [Int] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
    227, 258,
  ]
  static let lengthExtraBits: [Int] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
  ]
  /// Distance codes 0...29: base distance and number of extra bits.
  static let distanceBase: [Int] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
    4097, 6145, 8193, 12289, 16385, 24577,
  ]
  static let distanceExtraBits: [Int] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
  ]
  /// The order in which a dynamic block sends its code length code lengths.
  static let codeLengthOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

  /// Code lengths of the fixed literal/length code (block type 1).
  static let fixedLiteralLengths: [Int] =
    Array(repeating: 8, count: 144) + Array(repeating: 9, count: 112) + Array(repeating: 7, count: 24)
    + Array(repeating: 8, count: 8)
  /// Code lengths of the fixed distance code: 30 codes of 5 bits (and two unused ones).
  static let fixedDistanceLengths: [Int] = Array(repeating: 5, count: 32)

  static let maximumDistance = 32768
  static let maximumMatch = 258
  static let minimumMatch = 3
}
