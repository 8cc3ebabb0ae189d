// The assembled test snippets by their text, and the flags the tests compare.

@testable import Machine

/// Flags compared after arithmetic (the six status flags).
let statusFlags = Flag.cf | Flag.pf | Flag.af | Flag.zf | Flag.sf | Flag.of

/// Bytes of an assembled 64-bit snippet (see Snippets.swift; `;` separates instructions).
func asm(_ text: String) -> [UInt8] {
  guard let b = snippetBytes[text] else { fatalError("snippet not assembled: \(text) (run the snippet generator)") }
  return b
}

/// Bytes of an assembled 32-bit snippet.
func asm32(_ text: String) -> [UInt8] {
  guard let b = snippetBytes["32:" + text] else { fatalError("snippet not assembled: \(text)") }
  return b
}
