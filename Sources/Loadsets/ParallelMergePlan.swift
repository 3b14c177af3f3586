import SystemCalls
import RadmindFormat

/// Where a parallel `lmerge -T` cuts its inputs: a sorted list of cut paths, and for every cut
/// and every input the byte offset of that input's first real line whose path sorts at or after
/// the cut. Piece `p` is then, in every input, the bytes between cut `p - 1` and cut `p`, so the
/// lines of one path, in whichever inputs they are, always fall into the same piece.
///
/// Cut paths are taken from every input every `step` bytes (so no input's share of a piece is
/// much more than `step` bytes); the other inputs are searched for them by bisection over byte
/// offsets, reading a small window at each probe (a few thousand `pread`s for 600 MB). The
/// offsets are exact when the inputs are sorted; when one is not, the pieces are still a
/// partition of every input, and the merge notices the bad order (``ParallelMerge`` then merges
/// sequentially). Anything unexpected near a cut (a line too long, a missing path, a read error)
/// gives no plan: the sequential merge then reports it as radmind does. So does a removal line
/// among the sampled ones (an input with many would make the parallel merge give up soon anyway).
///
/// The cut paths are sampled at once (``start(fds:names:sizes:order:step:)``), but the searches
/// run one cut at a time (``nextRow()``), so that the first pieces are merged and written while
/// the later cuts are still being found: the searches took about a sixth of a 600 MB merge, all
/// of it before anything was written, and the merge waits on the disk.
final class ParallelMergePlan {
  private let readers: [CutReader]
  private let names: [String]
  private let order: PathOrder
  /// Cut paths sampled from every input, sorted, with where each sampled line starts.
  private let samples: [(path: [UInt8], input: Int, start: Int64)]
  private var nextSample = 0
  /// The last row returned (where the next piece starts in each input); nil once the last is.
  private var row: [Int64]?

  /// Why inputs could not be cut (for tests and tracing).
  struct Refusal: Error {
    var reason: String
  }

  private init(readers: [CutReader], names: [String], order: PathOrder, samples: [(path: [UInt8], input: Int, start: Int64)]) {
    self.readers = readers
    self.names = names
    self.order = order
    self.samples = samples
    row = Array(repeating: 0, count: readers.count)
  }

  /// An upper bound on the bytes of the piece from row `from` to row `to` (its output is never longer).
  static func byteBound(from: [Int64], to: [Int64], sizes: [Int64]) -> Int {
    var total: Int64 = 0
    for j in 0 ..< sizes.count { total += min(to[j], sizes[j]) - from[j] }
    return Int(max(0, total))
  }

  /// Samples the cut paths of inputs `fds` (sizes `sizes`), about every `step` bytes of each.
  static func start(fds: [Int32], names: [String], sizes: [Int64], order: PathOrder, step: Int64) -> Result<ParallelMergePlan, Refusal> {
    let k = fds.count
    var readers: [CutReader] = []
    for j in 0 ..< k { readers.append(CutReader(fd: fds[j], name: names[j], size: sizes[j], order: order)) }
    var samples: [(path: [UInt8], input: Int, start: Int64)] = []
    for j in 0 ..< k {
      var offset = step
      while offset < sizes[j] {
        switch readers[j].realLine(atOrAfter: offset) {
        case .unreadable: return .failure(Refusal(reason: "the inputs could not be cut"))
        case .end: offset = sizes[j]
        case .line(let l):
          // The merge would fall back at the first one anyway.
          if l.isRemoval { return .failure(Refusal(reason: "\(names[j]): a removal line near a cut")) }
          samples.append((l.path, j, l.start))
          offset = max(offset + step, l.end)
        }
      }
    }
    samples.sort { order.compareEncoded($0.path, $1.path) < 0 }
    return .success(ParallelMergePlan(readers: readers, names: names, order: order, samples: samples))
  }

  /// The next row: where the next piece starts in every input (the first row returned ends
  /// piece 0); the last row holds `Int64.max` for every input (to its end of file, as the
  /// sequential merge reads). nil after the last row.
  func nextRow() -> Result<[Int64]?, Refusal> {
    guard var next = row else { return .success(nil) }
    guard nextSample < samples.count else {
      row = nil
      return .success(Array(repeating: Int64.max, count: readers.count))
    }
    // Equal cut paths from several inputs make one cut; their sampled starts are known.
    var known: [Int64?] = Array(repeating: nil, count: readers.count)
    let path = samples[nextSample].path
    while nextSample < samples.count && order.compareEncoded(samples[nextSample].path, path) == 0 {
      known[samples[nextSample].input] = samples[nextSample].start
      nextSample += 1
    }
    for j in 0 ..< readers.count {
      if let start = known[j] {
        // An input out of order: let the sequential merge say so.
        if start < next[j] { return .failure(Refusal(reason: "\(names[j]): out of order near a cut")) }
        next[j] = start
      } else {
        guard let found = readers[j].firstLine(notBefore: path, from: next[j]) else {
          return .failure(Refusal(reason: "the inputs could not be cut"))
        }
        next[j] = found
      }
    }
    row = next
    return .success(next)
  }
}

/// Reads single transcript lines at arbitrary offsets of an input (through a small window
/// cache), the way ``MergeInput`` reads them: blank and `#` lines skipped, `[-] type path`.
final class CutReader {
  let fd: Int32
  let name: String
  let size: Int64
  let order: PathOrder
  private let window = UnsafeMutableRawBufferPointer.allocate(byteCount: 8 << 10, alignment: 16)
  private var windowStart: Int64 = 0
  private var windowCount = 0

  /// A real line: where it starts, where the next line starts, its encoded path.
  struct Line {
    var start: Int64
    var end: Int64
    var path: [UInt8]
    var isRemoval: Bool
  }

  enum Scan {
    case line(Line)
    case end
    /// Too long, without a path, without its LF at end of file, or unreadable.
    case unreadable
  }

  /// The longest line (with its LF) a window must hold whole.
  private static let longestLine = RadmindLimits.maxLineLength + 1

  init(fd: Int32, name: String, size: Int64, order: PathOrder) {
    self.fd = fd
    self.name = name
    self.size = size
    self.order = order
  }

  deinit { window.deallocate() }

  /// The bytes from `offset` to the end of the window (at least ``longestLine`` of them unless
  /// the file ends first), or nil on a read error.
  private func bytes(at offset: Int64) -> UnsafeRawBufferPointer? {
    let have = windowStart + Int64(windowCount)
    let enough = min(size, offset + Int64(CutReader.longestLine))
    if !(offset >= windowStart && enough <= have) {
      var total = 0
      while total < window.count {
        let n: Int
        do {
          n = try Syscall.pread(fd, into: UnsafeMutableRawBufferPointer(rebasing: window[total...]),
                                at: offset + Int64(total), path: name)
        } catch { return nil }
        if n == 0 { break }
        total += n
      }
      windowStart = offset
      windowCount = total
    }
    let from = Int(offset - windowStart)
    return UnsafeRawBufferPointer(rebasing: window[from ..< windowCount])
  }

  /// The offset of the first LF in `raw`, if any.
  private func firstNewline(_ raw: UnsafeRawBufferPointer) -> Int? {
    guard let base = raw.baseAddress, let lf = Bytes.find(0x0A, in: base, count: raw.count) else { return nil }
    return UnsafeRawPointer(lf) - base
  }

  /// The first real line starting at or after `offset` (a line starts at 0 or after an LF).
  func realLine(atOrAfter offset: Int64) -> Scan {
    var position = offset
    if offset > 0 {
      guard let raw = bytes(at: offset - 1) else { return .unreadable }
      guard let lf = firstNewline(raw) else { return offset - 1 + Int64(raw.count) >= size ? .end : .unreadable }
      position = offset - 1 + Int64(lf) + 1
    }
    while true {
      if position >= size { return .end }
      guard let raw = bytes(at: position) else { return .unreadable }
      guard let lf = firstNewline(raw), lf <= RadmindLimits.maxLineLength else { return .unreadable }
      let line = UnsafeRawBufferPointer(rebasing: raw[0 ..< lf])
      let end = position + Int64(lf) + 1
      var i = 0
      guard let first = LineTokens.nextToken(line, &i), line[first.lowerBound] != UInt8(ascii: "#") else {
        position = end
        continue
      }
      let removal = line[first.lowerBound] == UInt8(ascii: "-")
      if removal && LineTokens.nextToken(line, &i) == nil { return .unreadable }
      guard let path = LineTokens.nextToken(line, &i) else { return .unreadable }
      return .line(Line(start: position, end: end, path: Array(UnsafeRawBufferPointer(rebasing: line[path])), isRemoval: removal))
    }
  }

  /// The start of the first real line at or after line start `from` whose path sorts at or after
  /// `key` (the file size if none): exact when the real lines from `from` on are in order and
  /// those before it sort before `key`. Gallops, bisects to a few KiB, then reads line by line.
  func firstLine(notBefore key: [UInt8], from: Int64) -> Int64? {
    var low = from    // every real line before `low` sorts before `key`
    var high = size   // the first real line at or after the line start at `high` does not
    var stride: Int64 = 64 << 10
    while low + stride < high {
      let probe = low + stride
      switch realLine(atOrAfter: probe) {
      case .unreadable: return nil
      case .end: high = probe
      case .line(let l):
        if order.compareEncoded(l.path, key) < 0 { low = l.end; stride *= 2 } else { high = probe }
      }
      if high == probe { break }
    }
    while high - low > 2 << 10 {
      let middle = low + (high - low) / 2
      switch realLine(atOrAfter: middle) {
      case .unreadable: return nil
      case .end: high = middle
      case .line(let l):
        if order.compareEncoded(l.path, key) < 0 { low = l.end } else { high = middle }
      }
    }
    // Line by line; in a sorted input this ends soon after `high` (comment lines aside).
    var position = low
    while true {
      switch realLine(atOrAfter: position) {
      case .unreadable: return nil
      case .end: return size
      case .line(let l):
        if order.compareEncoded(l.path, key) >= 0 { return l.start }
        position = l.end
        if position - low > 8 << 20 { return nil }
      }
    }
  }
}
