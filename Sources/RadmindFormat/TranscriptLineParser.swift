/// Parses transcript lines with the rules of radmind's fsdiff/twhich reader (spec §1.2–1.4).
///
/// Reuse one parser for a whole transcript: it keeps its token buffer between lines.
/// It checks one line at a time; order checks belong to ``OrderChecker``.
public struct TranscriptLineParser: Sendable {
  public var tokens = LineTokens()

  public init() {}

  /// The token-count rule for each type, with radmind's wording for a mismatch.
  static func expectedCounts(_ kind: Entry.Kind) -> (allowed: (Int, Int), text: String) {
    switch kind {
    case .file, .appleFile: return ((8, 8), "8")
    case .directory: return ((5, 6), "5 or 6")
    case .door, .pipe, .socket: return ((5, 5), "5")
    case .blockDevice, .characterDevice: return ((7, 7), "7")
    case .symbolicLink: return ((3, 6), "3 or 6")
    case .hardLink: return ((3, 3), "3")
    }
  }

  /// Splits and validates `line` (bytes before the LF; the caller has skipped comments and blank
  /// lines). On success `tokens` holds the split and the result says where the type token is.
  public mutating func validate(_ line: UnsafeRawBufferPointer) throws(LineError) -> (prefix: Entry.Prefix, kind: Entry.Kind, typeIndex: Int) {
    tokens.split(line)
    let ac = tokens.count
    if ac < 3 { throw .minimumArguments(got: ac) }
    if tokens.length(0) != 1 {
      throw .tooLongToBeAType(token: Array(tokens.token(0, in: line)))
    }
    var typeIndex = 0
    var prefix = Entry.Prefix.none
    let first = line[tokens.starts[0]]
    if first == Entry.Prefix.minus.rawValue || first == Entry.Prefix.plus.rawValue {
      prefix = Entry.Prefix(rawValue: first)!
      typeIndex = 1
    }
    let typeByte = line[tokens.starts[typeIndex]]
    guard let kind = Entry.Kind(rawValue: typeByte) else { throw .unknownType(typeByte) }
    let count = ac - typeIndex
    let rule = TranscriptLineParser.expectedCounts(kind)
    let ok: Bool
    if kind == .symbolicLink {
      ok = count == 3 || count == 6
    } else {
      ok = count >= rule.allowed.0 && count <= rule.allowed.1
    }
    if !ok { throw .wrongArgumentCount(expected: rule.text, got: count) }
    let path = tokens.token(typeIndex + 1, in: line)
    guard let decodedLength = PathCodec.validatedDecodedLength(path) else { throw .invalidEscape }
    if decodedLength >= RadmindLimits.maxPathLength { throw .pathTooLong }
    return (prefix, kind, typeIndex)
  }

  /// Parses `line` into an ``Entry`` (paths and targets decoded, numbers read leniently).
  public mutating func parse(_ line: UnsafeRawBufferPointer) throws(LineError) -> Entry {
    let (prefix, kind, t) = try validate(line)
    func tok(_ k: Int) -> UnsafeRawBufferPointer { tokens.token(t + k, in: line) }
    func decoded(_ k: Int) throws(LineError) -> [UInt8] {
      guard let d = PathCodec.decode(tok(k)) else { throw .invalidEscape }
      return d
    }
    var entry = Entry(kind: kind, path: try decoded(1))
    entry.prefix = prefix
    let count = tokens.count - t
    switch kind {
    case .hardLink:
      entry.target = try decoded(2)
    case .symbolicLink where count == 3:
      entry.mode = 0o777
      entry.target = try decoded(2)
    default:
      entry.mode = LenientNumber.octal(tok(2))
      entry.uid = LenientNumber.atoi(tok(3))
      entry.gid = LenientNumber.atoi(tok(4))
      switch kind {
      case .file, .appleFile:
        entry.mtime = LenientNumber.strtoll(tok(5))
        entry.size = LenientNumber.strtoll(tok(6))
        entry.checksum = Array(tok(7))
      case .directory where count == 6:
        entry.finderInfo = Array(tok(5))
      case .blockDevice, .characterDevice:
        entry.major = LenientNumber.atoi(tok(5))
        entry.minor = LenientNumber.atoi(tok(6))
      case .symbolicLink:
        entry.target = try decoded(5)
      default:
        break
      }
    }
    return entry
  }

  public mutating func parse(_ line: [UInt8]) throws(LineError) -> Entry {
    let copy = line
    var result: Result<Entry, LineError>!
    copy.withUnsafeBytes { buf in
      do throws(LineError) { result = .success(try parse(buf)) } catch { result = .failure(error) }
    }
    return try result.get()
  }
}
