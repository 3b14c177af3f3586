import SystemCalls
import RadmindFormat
import TranscriptIO

/// One input transcript of a merge, read the way radmind's lmerge reads it (`getnextline`):
/// blank and comment lines skipped, a first token starting with `-` marks a removal, the type is
/// the first byte of the next token and the path the token after it. Field counts are not
/// validated. The current line stays in the reader's buffer (no copy, no allocation per line).
/// Stored properties skip dynamic exclusivity checks (one merge owns each input; the checks
/// were a quarter of lmerge's time).
public final class MergeInput {
  /// What reading the next line gave. radmind's callers treat these differently (see ``Lmerge``).
  public enum Advance: Equatable {
    case ok
    /// radmind's `return 1`: a message was produced but the line is kept (`bad sort order`,
    /// `path too long`). Fatal at some call sites, ignored at others.
    case soft([UInt8])
    /// radmind's `return -1`: always fatal (`line too long`, read error).
    case fatal([UInt8])
  }

  public let location: LoadsetLocation
  public var name: [UInt8] { location.name }
  public let order: PathOrder
  let reader: LineReader
  @exclusivity(unchecked) private var tokens = LineTokens()
  /// The current line (bytes before its LF).
  @exclusivity(unchecked) public private(set) var line = UnsafeRawBufferPointer(start: nil, count: 0)
  @exclusivity(unchecked) public private(set) var isAtEnd = false
  @exclusivity(unchecked) public private(set) var isRemoval = false
  /// Index of the type token in ``tokens`` (0, or 1 after a `-` token).
  @exclusivity(unchecked) public private(set) var typeIndex = 0
  @exclusivity(unchecked) public private(set) var lineNumber = 0
  /// The encoded path token of the current line.
  @exclusivity(unchecked) public private(set) var path = UnsafeRawBufferPointer(start: nil, count: 0)
  /// The previous line's path (for the order check), in a buffer reused for every line.
  @exclusivity(unchecked) private var previous = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
  @exclusivity(unchecked) private var previousCount = 0
  @exclusivity(unchecked) private var hasPrevious = false
  @exclusivity(unchecked) private var tokensValid = false
  @exclusivity(unchecked) private var typeOffset = 0

  deinit { previous.deallocate() }

  public init(path: String, location: LoadsetLocation, order: PathOrder) throws(SystemCallError) {
    self.location = location
    self.order = order
    reader = try LineReader(path: path, bufferSize: 256 << 10)
  }

  /// An input restricted to bytes `range` of an open transcript (read with `pread`, so several
  /// inputs can share `fd`): one input's share of one piece of a parallel merge. `range` starts
  /// at a line start; line numbers count from it.
  init(fd: Int32, name: String, range: Range<Int64>, location: LoadsetLocation, order: PathOrder) {
    self.location = location
    self.order = order
    reader = LineReader(fd: fd, name: name, range: range, bufferSize: 128 << 10)
  }

  /// The path of the line last read with no message (encoded), or nil before the first.
  var lastPath: [UInt8]? {
    hasPrevious ? Array(UnsafeRawBufferPointer(rebasing: previous[0 ..< previousCount])) : nil
  }

  /// The type byte of the current line.
  @inline(__always)
  public var type: UInt8 { line[typeOffset] }

  /// True for `f` and `a` lines (the ones with stored files).
  @inline(__always)
  public var hasFile: Bool { let t = type; return t == 0x66 || t == 0x61 }

  /// Token `k` counted from the type token, or nil if the line has fewer tokens.
  public func field(_ k: Int) -> UnsafeRawBufferPointer? {
    if !tokensValid {
      tokens.split(line)
      tokensValid = true
    }
    let index = typeIndex + k
    return index < tokens.count ? tokens.token(index, in: line) : nil
  }

  /// The decoded path of the current line.
  public var decodedPath: [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(path.count)
    var i = 0
    while i < path.count {
      let b = path[i]
      if b == 0x5C, i + 1 < path.count {
        out.append(PathCodec.unescape(path[i + 1]) ?? path[i + 1])
        i += 2
      } else {
        out.append(b)
        i += 1
      }
    }
    return out
  }

  /// Compares the current paths of two inputs (decoded order, `-I` aware).
  @inline(__always)
  public func compare(to other: MergeInput) -> Int {
    order.compareEncoded(path, other.path)
  }

  /// Reads the next non-blank, non-comment line. Only the first tokens (up to the path) are
  /// located here; ``field(_:)`` splits the rest of the line when `-n` asks for it.
  public func advance() -> Advance {
    let reader = self.reader
    while true {
      let next: (line: UnsafeRawBufferPointer, terminated: Bool)?
      do { next = try reader.nextLine() } catch {
        return .fatal(Array(reader.name.utf8) + Array(": ".utf8) + Array(error.reason.utf8))
      }
      guard let (raw, terminated) = next else {
        isAtEnd = true
        return .ok
      }
      lineNumber += 1
      // fgets(MAXPATHLEN): a line (with its LF) must fit in 4095 bytes, and the last must end in LF.
      if raw.count > RadmindLimits.maxLineLength || !terminated {
        let shown = UnsafeRawBufferPointer(rebasing: raw[0 ..< min(raw.count, RadmindLimits.maxPathLength - 1)])
        return .fatal(name + Array(": \(lineNumber): ".utf8) + Array(shown) + Array(": line too long".utf8))
      }
      // Locate the first tokens only: [-] type path.
      var i = 0
      guard let first = LineTokens.nextToken(raw, &i) else { continue }
      let lead = raw[first.lowerBound]
      if lead == UInt8(ascii: "#") { continue }
      line = raw
      tokensValid = false
      let removal = lead == UInt8(ascii: "-")
      isRemoval = removal
      typeIndex = removal ? 1 : 0
      let typeToken = removal ? LineTokens.nextToken(raw, &i) : first
      let pathToken = typeToken == nil ? nil : LineTokens.nextToken(raw, &i)
      guard let typeToken, let pathToken else {
        // radmind dereferences a missing path token and crashes; we stop with a message.
        isAtEnd = true
        tokens.split(raw)
        return .fatal(name + Array(": line \(lineNumber): expected a type and a path, got \(tokens.count) tokens".utf8))
      }
      typeOffset = typeToken.lowerBound
      path = UnsafeRawBufferPointer(rebasing: raw[pathToken])
      // The decoded path is never longer than the encoded one.
      if path.count >= RadmindLimits.maxPathLength && PathCodec.decodedLength(path) >= RadmindLimits.maxPathLength {
        return .soft(name + Array(": line \(lineNumber): ".utf8) + decodedPath + Array(": path too long".utf8))
      }
      if hasPrevious
        && order.compareEncoded(path, UnsafeRawBufferPointer(rebasing: previous[0 ..< previousCount])) <= 0 {
        return .soft(name + Array(": line \(lineNumber): bad sort order".utf8))
      }
      if path.count > previous.count {
        previous.deallocate()
        previous = .allocate(byteCount: path.count * 2, alignment: 8)
      }
      if let base = path.baseAddress { previous.baseAddress!.copyMemory(from: base, byteCount: path.count) }
      previousCount = path.count
      hasPrevious = true
      return .ok
    }
  }
}
