/// One meaningful line of a radmind command file (`.K`, spec §5.1).
///
/// The parser is pure: it turns the bytes of a line into a ``CommandFileLine`` or a
/// ``CommandFileLineError`` worded as radmind words it. Resolving names, reading includes and
/// applying `-` lines is the loader's job (`Capture.CommandFileLoader`).
///
///     var parser = CommandFileLineParser()
///     if let line = try parser.parse(bytes) { ... }   // nil for blank and comment lines
public struct CommandFileLine: Sendable, Equatable {
  public enum Kind: UInt8, Sendable {
    case include = 0x6B   // k
    case positive = 0x70  // p
    case negative = 0x6E  // n
    case special = 0x73   // s
    case exclude = 0x78   // x
  }
  public var kind: Kind
  /// The line began with a separate `-` token: remove instead of add.
  public var isRemoval: Bool
  /// The argument exactly as written (not decoded).
  public var argument: [UInt8]

  public init(kind: Kind, isRemoval: Bool, argument: [UInt8]) {
    self.kind = kind
    self.isRemoval = isRemoval
    self.argument = argument
  }
}

/// A malformed command-file line. The caller prefixes `command file <K>: line N: `.
public enum CommandFileLineError: Error, Sendable, Equatable, CustomStringConvertible {
  case lineTooLong
  case wrongArgumentCount(got: Int)
  case invalidType(token: [UInt8])
  case minusIncludeNotSupported

  public var messageBytes: [UInt8] {
    switch self {
    case .lineTooLong: return Array("line too long".utf8)
    case .wrongArgumentCount(let got): return Array("expected 2 arguments, got \(got)".utf8)
    case .invalidType(let token): return [0x27] + token + Array("' invalid".utf8)
    case .minusIncludeNotSupported: return Array("minus 'k' not supported".utf8)
    }
  }

  public var description: String { String(decoding: messageBytes, as: UTF8.self) }
}

public struct CommandFileLineParser: Sendable {
  public var tokens = LineTokens()

  public init() {}

  /// Parses the bytes of one line (without its LF). Returns nil for blank and `#` lines.
  /// The type is the first byte of its token (`positive x.T` is a `p` line).
  public mutating func parse(_ line: UnsafeRawBufferPointer) throws(CommandFileLineError) -> CommandFileLine? {
    if line.count > RadmindLimits.maxLineLength { throw .lineTooLong }
    tokens.split(line)
    if tokens.count == 0 || line[tokens.starts[0]] == UInt8(ascii: "#") { return nil }
    var first = 0
    var minus = false
    if tokens.count == 3 && tokens.length(0) == 1 && line[tokens.starts[0]] == UInt8(ascii: "-") {
      minus = true
      first = 1
    } else if tokens.count != 2 {
      throw .wrongArgumentCount(got: tokens.count)
    }
    let typeToken = tokens.token(first, in: line)
    guard let kind = CommandFileLine.Kind(rawValue: typeToken[0]) else {
      throw .invalidType(token: Array(typeToken))
    }
    if minus && kind == .include { throw .minusIncludeNotSupported }
    return CommandFileLine(kind: kind, isRemoval: minus, argument: Array(tokens.token(first + 1, in: line)))
  }

  public mutating func parse(_ line: [UInt8]) throws(CommandFileLineError) -> CommandFileLine? {
    var result: Result<CommandFileLine?, CommandFileLineError> = .success(nil)
    line.withUnsafeBytes { buf in
      do throws(CommandFileLineError) { result = .success(try parse(buf)) } catch { result = .failure(error) }
    }
    return try result.get()
  }
}

/// Relative/absolute path form of a run (spec §2.4) and radmind's conversion between them.
public enum PathForm: Sendable {
  case relative, absolute

  /// The form decided by a canonicalised path argument: `.` or `./...` is relative.
  public init(canonicalPath p: [UInt8]) {
    if p.first == UInt8(ascii: "."), p.count == 1 || p[1] == 0x2F {
      self = .relative
    } else {
      self = .absolute
    }
  }

  /// fsdiff's canonicalisation of its path argument: drop one trailing `/` (unless the path is
  /// one byte), then prepend `./` unless it starts with `/`, is `.`, or starts with `./`.
  public static func canonicalize(_ arg: [UInt8]) -> [UInt8] {
    var p = arg
    if p.count > 1, p.last == 0x2F { p.removeLast() }
    if p.first == 0x2F { return p }
    if p.first == UInt8(ascii: "."), p.count == 1 || p[1] == 0x2F { return p }
    return Array("./".utf8) + p
  }

  /// Converts a transcript path (or `h` target, pattern, special path) to this form.
  public func convert(_ path: [UInt8]) -> [UInt8] {
    guard let first = path.first else { return path }
    switch self {
    case .absolute:
      guard first == UInt8(ascii: ".") else { return path }
      if path.count == 1 { return [0x2F] }
      if path[1] == 0x2F { return Array(path[1...]) }
      return [0x2F] + path
    case .relative:
      guard first == 0x2F else { return path }
      if path.count == 1 { return [UInt8(ascii: ".")] }
      return [UInt8(ascii: ".")] + path
    }
  }
}
