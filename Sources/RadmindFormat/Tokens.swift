/// One line split into tokens the way radmind's `argcargv` does (spec §1.1): runs of SPACE, TAB and
/// LF separate tokens; every other byte (CR included) belongs to a token.
///
/// The struct is meant to be reused across lines: ``split(_:)`` overwrites it without allocating
/// once the first few lines have grown its storage.
public struct LineTokens: Sendable {
  /// Offsets of each token in the line last split: token k is `starts[k] ..< ends[k]`.
  public private(set) var starts: [Int] = []
  public private(set) var ends: [Int] = []
  /// How many tokens the line has.
  public private(set) var count: Int = 0

  public init() {
    starts.reserveCapacity(16)
    ends.reserveCapacity(16)
  }

  @inlinable @inline(__always)
  public static func isSeparator(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A }

  /// Splits `line` (the bytes before its LF) into tokens.
  public mutating func split(_ line: UnsafeRawBufferPointer) {
    count = 0
    var i = 0
    let n = line.count
    while true {
      while i < n && LineTokens.isSeparator(line[i]) { i += 1 }
      if i >= n { break }
      let start = i
      while i < n && !LineTokens.isSeparator(line[i]) { i += 1 }
      if count < starts.count {
        starts[count] = start
        ends[count] = i
      } else {
        starts.append(start)
        ends.append(i)
      }
      count += 1
    }
  }

  /// Token `k` of `line` (which must be the line last split).
  @inlinable @inline(__always)
  public func token(_ k: Int, in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: line[starts[k] ..< ends[k]])
  }

  public func length(_ k: Int) -> Int { ends[k] - starts[k] }
}

/// True when the first token of `line` begins with `#` (a comment) or there is no token (blank).
@inlinable
public func isCommentOrBlank(_ line: UnsafeRawBufferPointer) -> Bool {
  var i = 0
  while i < line.count && LineTokens.isSeparator(line[i]) { i += 1 }
  return i >= line.count || line[i] == UInt8(ascii: "#")
}
