import SystemCalls
import Dispatch
import Capture
import RadmindFormat
import TranscriptIO

/// Validates whole files and reports **every** problem (radmind's readers stop at the first):
/// malformed lines, overlong lines, a missing final newline, out-of-order or duplicate paths,
/// unreadable files. Each problem is reported as `FILE:LINE: message`.
///
/// Large transcripts are checked in two halves on two threads; the halves' problems are merged in
/// line order and the order across the seam is checked separately.
public enum TranscriptChecker {
  /// Checks a transcript, or a command file when the name ends in `.K`; returns the number of problems.
  public static func check(path: String, caseInsensitive: Bool, report: (String) -> Void) -> Int {
    if path.hasSuffix(".K") {
      return CommandFileChecker.check(path: path, report: report)
    }
    let fd: Int32
    do { fd = try Syscall.open(path, [.readOnly]) } catch {
      report("\(path):0: cannot read: \(error.reason)")
      return 1
    }
    defer { Syscall.closeQuietly(fd) }
    let st = (try? Syscall.fstat(fd, path: path)) ?? FileStatus()
    let order = PathOrder(caseInsensitive: caseInsensitive)
    let size = Int64(st.st_size)
    var segments: [Range<Int64>] = [0 ..< size]
    if st.fileType == .regular && size >= 16 << 20 {
      let seam = lineBoundary(fd: fd, near: size / 2)
      if seam > 0 && seam < size { segments = [0 ..< seam, seam ..< size] }
    }
    if st.fileType != .regular { segments = [] }

    let results = UnsafeMutableBufferPointer<SegmentResult>.allocate(capacity: max(1, segments.count))
    results.initialize(repeating: SegmentResult())
    defer {
      results.deinitialize()
      results.deallocate()
    }
    if segments.isEmpty {
      // A pipe or device: one sequential pass.
      results[0] = checkSegment(LineReader(fd: fd, name: path), order: order)
      segments = [0 ..< 0]
    } else if segments.count == 1 {
      results[0] = checkSegment(LineReader(fd: fd, name: path, range: segments[0]), order: order)
    } else {
      let ranges = segments
      nonisolated(unsafe) let out = results
      DispatchQueue.concurrentPerform(iterations: ranges.count) { k in
        out[k] = checkSegment(LineReader(fd: fd, name: path, range: ranges[k]), order: order)
      }
    }
    var problems = 0
    var lineBase = 0
    for k in 0 ..< segments.count {
      let r = results[k]
      if k > 0, let last = results[k - 1].lastPath, let first = r.firstPath, let firstLine = r.firstPathLine,
         order.compareEncoded(last, first) >= 0 {
        report("\(path):\(lineBase + firstLine): bad sort order (path not after the previous line's)")
        problems += 1
      }
      for (line, message) in r.problems {
        report("\(path):\(lineBase + line): \(message)")
        problems += 1
      }
      lineBase += r.lines
    }
    return problems
  }

  struct SegmentResult {
    var problems: [(Int, String)] = []
    var lines = 0
    var firstPath: [UInt8]?
    var firstPathLine: Int?
    var lastPath: [UInt8]?
  }

  /// The offset just after the first LF at or after `offset`.
  static func lineBoundary(fd: Int32, near offset: Int64) -> Int64 {
    var buf = [UInt8](repeating: 0, count: 65536)
    var at = offset
    while true {
      guard let n = try? buf.withUnsafeMutableBytes({ (b) throws(SystemCallError) in try Syscall.pread(fd, into: b, at: at, path: "") }),
            n > 0 else { return -1 }
      if let nl = buf[0 ..< n].firstIndex(of: 0x0A) { return at + Int64(nl) + 1 }
      at += Int64(n)
    }
  }

  static func checkSegment(_ reader: LineReader, order pathOrder: PathOrder) -> SegmentResult {
    var result = SegmentResult()
    var parser = TranscriptLineParser()
    var order = OrderChecker(order: pathOrder)
    do {
      try reader.forEachLine { line, number, hadNewline in
        if reader.lastLineWasCut {  // the reader keeps no more of it: memory stays bounded
          result.problems.append((number, "line too long (more than \(line.count) bytes, radmind reads at most \(RadmindLimits.maxLineLength))"))
          return true
        }
        if line.count > RadmindLimits.maxLineLength {
          result.problems.append((number, "line too long (\(line.count) bytes, radmind reads at most \(RadmindLimits.maxLineLength))"))
        }
        if !hadNewline {
          result.problems.append((number, "missing final newline (radmind's readers reject the line as too long)"))
        }
        if isCommentOrBlank(line) { return true }
        do throws(LineError) {
          let (_, kind, typeIndex) = try parser.validate(line)
          let path = parser.tokens.token(typeIndex + 1, in: line)
          if let message = TranscriptChecker.pathProblem(in: line, kind: kind, typeIndex: typeIndex, tokens: parser.tokens) {
            result.problems.append((number, message))
          }
          if result.firstPath == nil {
            result.firstPath = Array(path)
            result.firstPathLine = number
          }
          if !order.accept(encoded: path) {
            result.problems.append((number, "bad sort order (path not after the previous line's)"))
          }
        } catch {
          result.problems.append((number, error.description))
        }
        return true
      }
    } catch {
      result.problems.append((reader.lineNumber + 1, "read error: \((error as? SystemCallError)?.reason ?? "\(error)")"))
    }
    result.lines = reader.lineNumber
    result.lastPath = order.previous.map { Array($0) }
    return result
  }
}

/// Checks a command file with Capture's loader, reporting every problem it finds (syntax, include
/// loops, missing command files, transcripts and special.T) as `FILE: message` lines.
/// Checks a command file line by line, reporting every problem as `FILE:LINE: message`:
/// malformed lines (radmind's wording), overlong lines, a missing final newline, `k`/`p`/`n`
/// names that cannot be opened (resolved against the top-level file's directory, as radmind's
/// clients do, §5.2), and a command file included twice. Included files are checked too.
enum CommandFileChecker {
  static func check(path: String, report: (String) -> Void) -> Int {
    let kdir = BytePath.split(path).directory + "/"
    var seen: Set<String> = [path]
    return check(file: path, kdir: kdir, seen: &seen, report: report)
  }

  private static func check(file: String, kdir: String, seen: inout Set<String>, report: (String) -> Void) -> Int {
    var problems = 0
    func problem(_ line: Int, _ message: String) {
      problems += 1
      report("\(file):\(line): \(message)")
    }
    let reader: LineReader
    do { reader = try LineReader(path: file) } catch {
      problem(0, "cannot read: \(error.reason)")
      return problems
    }
    var parser = CommandFileLineParser()
    do {
      while let line = try reader.next() {
        if !reader.lastLineHadNewline {
          problem(reader.lineNumber, "missing final newline (radmind's readers reject the line as too long)")
        }
        let parsed: CommandFileLine?
        do { parsed = try parser.parse(line) } catch {
          problem(reader.lineNumber, error.description)
          continue
        }
        guard let entry = parsed, !entry.isRemoval else { continue }
        let name = String(decoding: entry.argument, as: UTF8.self)
        switch entry.kind {
        case .include, .positive, .negative:
          let target = kdir + name
          if let error = Syscall.accessProblem(Array(target.utf8), read: true) {
            problem(reader.lineNumber, "cannot open \(target): \(error.reason)")
          } else if entry.kind == .include {
            if seen.contains(target) {
              problem(reader.lineNumber, "command file loop: \(name) already included")
            } else {
              seen.insert(target)
              // Depth-first, at the k line, as radmind reads includes.
              problems += check(file: target, kdir: kdir, seen: &seen, report: report)
            }
          }
        default:
          break
        }
      }
    } catch {
      problem(reader.lineNumber + 1, "read error: \(error.reason)")
    }
    return problems
  }
}
