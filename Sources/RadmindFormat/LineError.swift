/// A problem with one transcript line, worded exactly as radmind's readers word it (spec §1.4).
/// The caller adds `<name>: line N: ` in front.
public enum LineError: Error, Sendable, Equatable, CustomStringConvertible {
  case lineTooLong
  case missingFinalNewline
  case minimumArguments(got: Int)
  case tooLongToBeAType(token: [UInt8])
  case unknownType(UInt8)
  case wrongArgumentCount(expected: String, got: Int)
  case badSortOrder
  case pathTooLong
  case noChecksums
  /// A backslash that is not one of radmind's five escapes (radmind silently corrupts the path).
  case invalidEscape

  public var description: String {
    switch self {
    case .lineTooLong: return "line too long"
    case .missingFinalNewline: return "line too long"
    case .minimumArguments(let got): return "minimum 3 arguments, got \(got)"
    case .tooLongToBeAType(let token): return "\(String(decoding: token, as: UTF8.self)) is too long to be a type"
    case .unknownType(let b): return "unknown file type '\(String(decoding: [b], as: UTF8.self))'"
    case .wrongArgumentCount(let expected, let got): return "expected \(expected) arguments, got \(got)"
    case .badSortOrder: return "bad sort order"
    case .pathTooLong: return "path too long"
    case .noChecksums: return "no cksums in transcript"
    case .invalidEscape: return "invalid escape in path (radmind knows only \\b \\t \\n \\r \\\\)"
    }
  }

  /// The byte form of ``description`` (a type token may hold non-UTF-8 bytes).
  public var messageBytes: [UInt8] {
    switch self {
    case .tooLongToBeAType(let token): return token + Array(" is too long to be a type".utf8)
    case .unknownType(let b): return Array("unknown file type '".utf8) + [b] + [0x27]
    default: return Array(description.utf8)
    }
  }
}

/// Radmind's limits on Linux (spec §1.1, §2.3).
public enum RadmindLimits {
  /// MAXPATHLEN on Linux.
  public static let maxPathLength = 4096
  /// Bytes before the LF: a line plus its LF must fit in MAXPATHLEN - 1.
  public static let maxLineLength = 4094
}
