import SystemCalls
import RadmindFormat

/// One page of a sorted transcript, found without reading the file whole: a binary search over
/// byte offsets finds the first line whose path is at or after the page's start (a transcript is
/// in radmind path order), then the page's lines are read from there. Cost: about log2(size)
/// small reads plus the page itself, whatever the transcript's length.
struct TranscriptPager {
  /// The longest line accepted; a longer one means the file is damaged.
  static let maxLine = 1 << 16

  struct Page {
    var entries: [Entry] = []
    /// Decoded path of the first line after the page, when there is one (the next page's start).
    var next: [UInt8]?
  }

  struct Damaged: Error { var message: String }

  let path: String
  let displayName: String
  let order = PathOrder.caseSensitive

  /// Up to `limit` lines from the first path ≥ `start` (decoded bytes), keeping only paths that
  /// begin with `prefix` (decoded bytes; the page starts at the later of the two).
  func page(start: [UInt8], prefix: [UInt8], limit: Int) throws(Damaged) -> Page {
    let fd: Int32
    do { fd = try Syscall.open(path, [.readOnly]) } catch {
      throw Damaged(message: "\(displayName): cannot open the transcript (\(error.reason))")
    }
    defer { Syscall.closeQuietly(fd) }
    guard let st = try? Syscall.fstat(fd, path: path), st.fileType == .regular else {
      throw Damaged(message: "\(displayName): the transcript is not a regular file")
    }
    let size = Int64(st.st_size)
    let from = order.compare(start, prefix) > 0 ? start : prefix
    let target = PathCodec.encode(from)
    var offset = try firstLine(atOrAfter: target, fd: fd, size: size)
    var page = Page()
    var parser = TranscriptLineParser()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    var previous: [UInt8]?
    while offset < size {
      let n = Syscall.pread(fd, into: &chunk, at: offset)
      if n <= 0 { throw Damaged(message: "\(displayName): read error at byte \(offset)") }
      guard let nl = chunk[0..<n].firstIndex(of: 0x0A) ?? (offset + Int64(n) == size ? n : nil) else {
        throw Damaged(message: "\(displayName): a line longer than \(n) bytes at byte \(offset)")
      }
      var lineStart = 0
      var lineEnd = nl
      while true {
        let line = Array(chunk[lineStart..<lineEnd])
        offset += Int64(lineEnd - lineStart + 1)
        if !TranscriptPager.isComment(line) {
          let entry: Entry
          do { entry = try parser.parse(line) } catch {
            throw Damaged(message: "\(displayName): at byte \(offset - Int64(line.count + 1)): \(error.description)")
          }
          if let previous, order.compare(previous, entry.path) >= 0 {
            throw Damaged(message: "\(displayName): bad sort order at path \(String(decoding: PathCodec.encode(entry.path), as: UTF8.self))")
          }
          previous = entry.path
          if !entry.path.starts(with: prefix) { return page }
          if page.entries.count == limit { page.next = entry.path; return page }
          page.entries.append(entry)
        }
        guard lineEnd + 1 < n, let following = chunk[(lineEnd + 1)..<n].firstIndex(of: 0x0A) else { break }
        lineStart = lineEnd + 1
        lineEnd = following
      }
    }
    return page
  }

  static func isComment(_ line: [UInt8]) -> Bool {
    guard let first = line.firstIndex(where: { !LineTokens.isSeparator($0) }) else { return true }
    return line[first] == UInt8(ascii: "#")
  }

  /// The encoded path token of a line: the second token, or the third after a `+`/`-` prefix.
  static func pathToken(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
    var tokens: [ArraySlice<UInt8>] = []
    var i = line.startIndex
    while i < line.endIndex && tokens.count < 3 {
      while i < line.endIndex && LineTokens.isSeparator(line[i]) { i += 1 }
      if i >= line.endIndex { break }
      let s = i
      while i < line.endIndex && !LineTokens.isSeparator(line[i]) { i += 1 }
      tokens.append(line[s..<i])
    }
    guard let first = tokens.first else { return nil }
    if first.count == 1 && (first.first == UInt8(ascii: "+") || first.first == UInt8(ascii: "-")) {
      return tokens.count > 2 ? tokens[2] : nil
    }
    return tokens.count > 1 ? tokens[1] : nil
  }

  /// The start of the line at or after byte `offset` (a line boundary).
  func lineStart(atOrAfter offset: Int64, fd: Int32, size: Int64) throws(Damaged) -> Int64 {
    if offset == 0 { return 0 }
    var at = offset - 1
    var buf = [UInt8](repeating: 0, count: 4096)
    while at < size {
      let n = Syscall.pread(fd, into: &buf, at: at)
      if n <= 0 { throw Damaged(message: "\(displayName): read error at byte \(at)") }
      if let nl = buf[0..<n].firstIndex(of: 0x0A) { return at + Int64(nl) + 1 }
      at += Int64(n)
      if at - offset > Int64(TranscriptPager.maxLine) { throw Damaged(message: "\(displayName): a line longer than \(TranscriptPager.maxLine) bytes near byte \(offset)") }
    }
    return size
  }

  /// The encoded path of the line starting at `start` (nil at end of file or for a comment).
  func pathOfLine(at start: Int64, fd: Int32, size: Int64) throws(Damaged) -> [UInt8]? {
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = Syscall.pread(fd, into: &buf, at: start)
      if n <= 0 { return nil }
      if let nl = buf[0..<n].firstIndex(of: 0x0A) ?? (start + Int64(n) == size ? n : nil) {
        if TranscriptPager.isComment(Array(buf[0..<nl])) { return nil }
        guard let token = TranscriptPager.pathToken(buf[0..<nl]) else {
          throw Damaged(message: "\(displayName): a line without a path at byte \(start)")
        }
        return Array(token)
      }
      if buf.count >= TranscriptPager.maxLine { throw Damaged(message: "\(displayName): a line longer than \(TranscriptPager.maxLine) bytes at byte \(start)") }
      buf = [UInt8](repeating: 0, count: buf.count * 4)
    }
  }

  /// Binary search: the first line whose encoded path sorts at or after `target`. A comment line
  /// (none in a store's transcripts) counts as "before", which at worst starts the page early.
  func firstLine(atOrAfter target: [UInt8], fd: Int32, size: Int64) throws(Damaged) -> Int64 {
    if target.isEmpty { return 0 }
    var lo: Int64 = 0, hi = size
    // Invariant: the line starting at lineStart(hi) is at or after target (or end of file);
    // every line starting before lineStart(lo) is before it.
    while lo < hi {
      let mid = lo + (hi - lo) / 2
      let start = try lineStart(atOrAfter: mid, fd: fd, size: size)
      if start >= size {
        hi = mid
        continue
      }
      if let p = try pathOfLine(at: start, fd: fd, size: size), order.compareEncoded(p, target) >= 0 {
        hi = mid
      } else {
        lo = mid + 1
      }
    }
    return try lineStart(atOrAfter: lo, fd: fd, size: size)
  }
}
