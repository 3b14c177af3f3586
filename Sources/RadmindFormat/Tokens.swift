/// One line split into tokens the way radmind's `argcargv` does (spec §1.1): runs of SPACE, TAB and
/// LF separate tokens; every other byte (CR included) belongs to a token.
///
/// Reuse one value across lines: ``split(_:)`` overwrites its fixed storage and never allocates.
/// Only the first ``capacity`` tokens' positions are kept; ``count`` still counts them all.
public struct LineTokens: @unchecked Sendable {
  public static let capacity = 32

  final class Storage {
    let starts = UnsafeMutablePointer<Int>.allocate(capacity: LineTokens.capacity)
    let ends = UnsafeMutablePointer<Int>.allocate(capacity: LineTokens.capacity)
    deinit { starts.deallocate(); ends.deallocate() }
  }

  private let storage = Storage()
  /// How many tokens the line has.
  public private(set) var count: Int = 0

  public init() {}

  @inlinable @inline(__always)
  public static func isSeparator(_ b: UInt8) -> Bool {
    // SPACE (0x20), TAB (0x09), LF (0x0A) as one shift-and-mask test.
    b <= 0x20 && (UInt64(0x1_0000_0600) >> UInt64(b)) & 1 != 0
  }

  /// Read-only view of token offsets: `tokens.starts[k]`, `tokens.ends[k]`.
  public struct Offsets {
    let base: UnsafeMutablePointer<Int>
    public subscript(k: Int) -> Int { base[k] }
  }
  public var starts: Offsets { Offsets(base: storage.starts) }
  public var ends: Offsets { Offsets(base: storage.ends) }

  /// Offset of token `k`'s first byte.
  public func start(_ k: Int) -> Int { storage.starts[k] }
  /// Offset just past token `k`.
  public func end(_ k: Int) -> Int { storage.ends[k] }
  public func length(_ k: Int) -> Int { storage.ends[k] - storage.starts[k] }

  /// Splits `line` (the bytes before its LF) into tokens, stopping after `limit` tokens (then
  /// ``count`` is at most `limit`): for callers that only need the first few.
  public mutating func split(_ line: UnsafeRawBufferPointer, limit: Int) {
    split(line, stoppingAfter: limit)
  }

  /// Splits `line` (the bytes before its LF) into tokens.
  public mutating func split(_ line: UnsafeRawBufferPointer) {
    split(line, stoppingAfter: Int.max)
  }

  private mutating func split(_ line: UnsafeRawBufferPointer, stoppingAfter limit: Int) {
    var n = 0
    let starts = storage.starts, ends = storage.ends
    guard let raw = line.baseAddress else { count = 0; return }
    let p = raw.assumingMemoryBound(to: UInt8.self)
    let size = line.count
    var i = 0
    while true {
      // Separator runs are mostly the spaces that pad a path to 37 columns.
      while i + 8 <= size && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) == 0x2020_2020_2020_2020 { i += 8 }
      while i < size && LineTokens.isSeparator(p[i]) { i += 1 }
      if i >= size { break }
      let s = i
      i = LineTokens.tokenEnd(line, from: i)
      if n < LineTokens.capacity {
        starts[n] = s
        ends[n] = i
      }
      n += 1
      if n >= limit { break }
    }
    count = n
  }

  /// The end of the token starting at `start` (the first SPACE, TAB or LF at or after it, or
  /// `raw.count`), testing 32 bytes at a time for a byte below 0x21: the tokens that matter are
  /// paths, long and free of raw separators, so one test per 32 bytes beats a byte loop (which
  /// was an eighth of lsort's instructions with eight bytes per test).
  @inlinable @inline(__always)
  public static func tokenEnd(_ raw: UnsafeRawBufferPointer, from start: Int) -> Int {
    let n = raw.count
    var j = start
    if let base = raw.baseAddress {
      let space = SIMD16<UInt8>(repeating: 0x21)
      while j + 32 <= n {
        let v = base.loadUnaligned(fromByteOffset: j, as: SIMD16<UInt8>.self)
        let w = base.loadUnaligned(fromByteOffset: j + 16, as: SIMD16<UInt8>.self)
        if any((v .< space) .| (w .< space)) { break }
        j += 32
      }
      while j + 16 <= n {
        let v = base.loadUnaligned(fromByteOffset: j, as: SIMD16<UInt8>.self)
        if any(v .< space) { break }
        j += 16
      }
      while j + 8 <= n {
        let w = base.loadUnaligned(fromByteOffset: j, as: UInt64.self)
        // High bit set in the lowest byte of w that is < 0x21 (exact for the lowest such byte).
        let t = (w &- 0x2121_2121_2121_2121) & ~w & 0x8080_8080_8080_8080
        if t != 0 {
          j += t.littleEndian.trailingZeroBitCount >> 3
          if isSeparator(raw[j]) { return j }
          j += 1
          continue
        }
        j += 8
      }
    }
    while j < n && !isSeparator(raw[j]) { j &+= 1 }
    return j
  }

  /// The next token at or after `i` (skipping SPACE, TAB and LF), advancing `i` past it; nil when
  /// the line has no more tokens. For callers that want one or two tokens without ``split(_:)``'s
  /// bookkeeping. A plain function with an `inout` cursor: a nested closure over a local `var`
  /// would box it (an allocation and exclusivity checks per line).
  @inlinable @inline(__always)
  public static func nextToken(_ raw: UnsafeRawBufferPointer, _ i: inout Int) -> Range<Int>? {
    let n = raw.count
    while i < n && isSeparator(raw[i]) { i &+= 1 }
    if i >= n { return nil }
    let start = i
    i = tokenEnd(raw, from: i)
    return start ..< i
  }

  /// Token `k` of `line` (which must be the line last split, and `k` < ``capacity``).
  @inline(__always)
  public func token(_ k: Int, in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: line.baseAddress! + storage.starts[k], count: storage.ends[k] - storage.starts[k])
  }

  /// First byte of token `k`.
  @inline(__always)
  public func firstByte(_ k: Int, in line: UnsafeRawBufferPointer) -> UInt8 {
    line.load(fromByteOffset: storage.starts[k], as: UInt8.self)
  }
}

/// True when the first token of `line` begins with `#` (a comment) or there is no token (blank).
@inlinable
public func isCommentOrBlank(_ line: UnsafeRawBufferPointer) -> Bool {
  var i = 0
  while i < line.count && LineTokens.isSeparator(line[i]) { i += 1 }
  return i >= line.count || line[i] == UInt8(ascii: "#")
}
