import RadmindFormat
import TranscriptIO

/// A field of a transcript line that ``TranscriptDiff`` compares.
public enum DiffField: String, CaseIterable, Sendable, Hashable {
  case mode, uid, gid, mtime, size, checksum
  /// `l` link text or `h` first path of the hard-link group.
  case target
  /// `b`/`c` major and minor numbers.
  case device
}

/// One difference between transcript A and transcript B, for one path.
public enum DiffChange {
  /// Only B lists the path.
  case added(Entry)
  /// Only A lists the path.
  case removed(Entry)
  /// Both list it with different types (or one as a `-` line).
  case typeChanged(old: Entry, new: Entry)
  /// Same type; `fields` (never empty) differ.
  case changed(old: Entry, new: Entry, fields: [DiffField])
}

/// Counts of a diff, filled in as it streams.
public struct DiffSummary: Sendable, Equatable {
  public var added = 0, removed = 0, typeChanged = 0, changed = 0, unchanged = 0
  public var fieldCounts: [DiffField: Int] = [:]
  /// Content bytes B has that A lacks: sizes of added files plus the new size of every file whose
  /// content changed (size or checksum), and of files that replace another type.
  public var bytesAdded: Int64 = 0
  /// Content bytes A has that B lacks, counted the same way from A's side.
  public var bytesRemoved: Int64 = 0
  public var isEqual: Bool { added == 0 && removed == 0 && typeChanged == 0 && changed == 0 }
}

/// A problem with an input: `<file>: line N: message` (or `<file>: reason`).
public struct TranscriptDiffError: Error, Sendable {
  public var message: String
}

/// Streaming merge-join of two sorted transcripts (O(1) memory in their length).
///
///     var diff = TranscriptDiff()
///     let summary = try diff.run(a: "A.T", b: "B.T") { change in print(change) }
///
/// Byte-identical lines are skipped without parsing; only lines that differ are parsed into
/// ``Entry`` values. Both inputs must be in radmind order (`-I` order with `caseInsensitive`);
/// a line out of order, or one radmind's reader would reject, stops the diff with an error.
public struct TranscriptDiff {
  public var ignored: Set<DiffField> = []
  public var order = PathOrder.caseSensitive

  public init(ignoring: Set<DiffField> = [], caseInsensitive: Bool = false) {
    ignored = ignoring
    order = PathOrder(caseInsensitive: caseInsensitive)
  }

  /// The fields of two same-type entries that differ, minus the ignored ones.
  public func differingFields(_ a: Entry, _ b: Entry) -> [DiffField] {
    var out: [DiffField] = []
    func check(_ f: DiffField, _ differs: Bool) { if differs && !ignored.contains(f) { out.append(f) } }
    switch a.kind {
    case .hardLink:
      check(.target, a.target != b.target)
      return out
    default: break
    }
    check(.mode, a.permissions != b.permissions)
    check(.uid, a.uid != b.uid)
    check(.gid, a.gid != b.gid)
    switch a.kind {
    case .file, .appleFile:
      check(.mtime, a.mtime != b.mtime)
      check(.size, a.size != b.size)
      check(.checksum, a.checksum != b.checksum)
    case .symbolicLink:
      check(.target, a.target != b.target)
    case .blockDevice, .characterDevice:
      check(.device, a.major != b.major || a.minor != b.minor)
    default: break
    }
    return out
  }

  /// Runs the diff, calling `report` for each difference in path order.
  public func run(a pathA: String, b pathB: String, report: (DiffChange) throws -> Void) throws -> DiffSummary {
    let a = try Side(path: pathA, order: order)
    let b = try Side(path: pathB, order: order)
    var summary = DiffSummary()
    try a.advance()
    try b.advance()
    while true {
      if a.atEnd && b.atEnd { break }
      let c: Int
      if a.atEnd { c = 1 } else if b.atEnd { c = -1 } else { c = order.compareEncoded(a.path, b.path) }
      if c < 0 {
        let e = try a.entry()
        summary.removed += 1
        if e.kind.hasContent { summary.bytesRemoved += e.size }
        try report(.removed(e))
        try a.advance()
      } else if c > 0 {
        let e = try b.entry()
        summary.added += 1
        if e.kind.hasContent { summary.bytesAdded += e.size }
        try report(.added(e))
        try b.advance()
      } else {
        if a.line.count == b.line.count && memcmpEqual(a.line, b.line) {
          summary.unchanged += 1
        } else {
          let old = try a.entry(), new = try b.entry()
          if old.kind != new.kind || old.prefix != new.prefix {
            summary.typeChanged += 1
            if old.kind.hasContent { summary.bytesRemoved += old.size }
            if new.kind.hasContent { summary.bytesAdded += new.size }
            try report(.typeChanged(old: old, new: new))
          } else {
            let fields = differingFields(old, new)
            if fields.isEmpty {
              summary.unchanged += 1
            } else {
              summary.changed += 1
              for f in fields { summary.fieldCounts[f, default: 0] += 1 }
              if old.kind.hasContent && (fields.contains(.size) || fields.contains(.checksum)) {
                summary.bytesRemoved += old.size
                summary.bytesAdded += new.size
              }
              try report(.changed(old: old, new: new, fields: fields))
            }
          }
        }
        try a.advance()
        try b.advance()
      }
    }
    return summary
  }

  @inline(__always)
  func memcmpEqual(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Bool {
    if x.count == 0 { return true }
    return Bytes.compare(x.baseAddress!, y.baseAddress!, count: x.count) == 0
  }

  /// One input: reader, validating parser, order check.
  final class Side {
    let reader: LineReader
    @exclusivity(unchecked) var parser = TranscriptLineParser()
    @exclusivity(unchecked) var order: OrderChecker
    @exclusivity(unchecked) var line = UnsafeRawBufferPointer(start: nil, count: 0)
    @exclusivity(unchecked) var path = UnsafeRawBufferPointer(start: nil, count: 0)
    @exclusivity(unchecked) var atEnd = false

    init(path: String, order: PathOrder) throws {
      do { reader = try LineReader(path: path) } catch {
        throw TranscriptDiffError(message: "\(path): \(error.reason)")
      }
      self.order = OrderChecker(order: order)
    }

    func fail(_ message: String) -> TranscriptDiffError {
      TranscriptDiffError(message: "\(reader.name): line \(reader.lineNumber): \(message)")
    }

    /// Finds the next line and its path token. Only the leading tokens are looked at here;
    /// a line is fully validated when it is parsed, i.e. when it differs from the other side
    /// (byte-identical lines in both transcripts are compared as bytes).
    func advance() throws {
      while true {
        let next: UnsafeRawBufferPointer?
        do { next = try reader.next() } catch { throw TranscriptDiffError(message: "\(reader.name): \(error.reason)") }
        guard let raw = next else { atEnd = true; return }
        if raw.count > RadmindLimits.maxLineLength { throw fail("line too long") }
        var i = 0
        guard let first = LineTokens.nextToken(raw, &i) else { continue }
        if raw[first.lowerBound] == UInt8(ascii: "#") { continue }
        let lead = raw[first.lowerBound]
        let prefixed = first.count == 1 && (lead == UInt8(ascii: "-") || lead == UInt8(ascii: "+"))
        let typeToken = prefixed ? LineTokens.nextToken(raw, &i) : first
        let pathToken = typeToken == nil ? nil : LineTokens.nextToken(raw, &i)
        guard let pathToken else {
          // Too few tokens: let the validating parser word the error.
          do { _ = try parser.validate(raw) } catch { throw fail(error.description) }
          throw fail("line cannot be read")
        }
        line = raw
        path = UnsafeRawBufferPointer(rebasing: raw[pathToken])
        if !order.accept(encoded: path) { throw fail("bad sort order") }
        return
      }
    }

    func entry() throws -> Entry {
      do { return try parser.parse(line) } catch { throw fail(error.description) }
    }
  }
}

import SystemCalls
