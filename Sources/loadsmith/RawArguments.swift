import SystemCalls

/// The command line as bytes. Swift decodes `argv` into `String`s, replacing bytes that are not
/// UTF-8 with U+FFFD: such an argument no longer names the file it named. This finds them, so a
/// command can say what is wrong instead of reporting a file that "does not exist".
enum RawArguments {
  /// The arguments (after the program name) that are not valid UTF-8, as bytes.
  static var nonUTF8: [[UInt8]] {
    var out: [[UInt8]] = []
    for i in 1..<Int(CommandLine.argc) {
      guard let p = CommandLine.unsafeArgv[i] else { continue }
      let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: Bytes.cStringLength(p)))
      if String(validating: bytes, as: UTF8.self) == nil { out.append(bytes) }
    }
    return out
  }

  /// The raw argument behind `text` when `text` is the lossy decoding of one that is not UTF-8.
  static func nonUTF8(behind text: String) -> [UInt8]? {
    guard text.unicodeScalars.contains("\u{FFFD}") else { return nil }
    return nonUTF8.first { String(decoding: $0, as: UTF8.self) == text }
  }

  /// Bytes for a message: printable ASCII as is, everything else as `\xNN`.
  static func shown(_ bytes: [UInt8]) -> String {
    let hex = Array("0123456789abcdef")
    return bytes.map { b in
      (0x20..<0x7F).contains(b) ? String(UnicodeScalar(b)) : "\\x" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
    }.joined()
  }
}
