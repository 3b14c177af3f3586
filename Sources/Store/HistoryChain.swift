import SystemCalls
import Hashing
import TranscriptIO

/// The history log as a hash chain: each record's last field is the SHA-256 (hex) of the line
/// before it (its bytes without the LF), the first record's is the SHA-256 of ``seed``. An edited,
/// deleted or reordered record breaks the chain at the record after it; the newest record is
/// vouched for by its hash (``LoadsetStore/historyHead()``), which operators keep elsewhere and
/// signed DSL manifests carry.
///
/// A store made before chaining has 9-field records; they are kept as they are, and chaining
/// starts with the next record (whose link covers the last unchained line).
package enum HistoryChain {
  package static let seed = "loadsmith history chain v1"
  static var seedHash: String { Hex.sha256(Array(seed.utf8)) }

  /// The link a record written after `previousLine` carries (nil: the log is empty).
  static func link(after previousLine: [UInt8]?) -> String {
    previousLine.map { Hex.sha256($0) } ?? seedHash
  }

  /// What ``LoadsetStore/verifyHistoryChain()`` found.
  package struct Report: Sendable, Equatable {
    /// Records before chaining started (kept as they are).
    package var unchained = 0
    package var chained = 0
    /// The first broken link, as `history.log line N: ...`.
    package var problem: String?
  }
}

extension LoadsetStore {
  /// The last line of the history log (bytes, without its LF), or nil when the log is empty.
  func lastHistoryLine() throws(StoreError) -> [UInt8]? {
    guard let fd = try? RegularFile.openForReading(historyPath) else { return nil }
    defer { Syscall.closeQuietly(fd) }
    guard let st = try? Syscall.fstat(fd, path: historyPath), FileType(mode: st.st_mode) == .regular, st.st_size > 0 else { return nil }
    var window = 4096
    while true {
      let size = Int(st.st_size)
      let take = min(size, window)
      var buf = [UInt8](repeating: 0, count: take)
      let n = Syscall.pread(fd, into: &buf, at: Int64(size - take))
      if n != take { throw .system(SystemCallError("read", path: historyPath)) }
      var end = take
      if buf[end - 1] == 0x0A { end -= 1 }
      if let nl = buf[0..<end].lastIndex(of: 0x0A) { return Array(buf[(nl + 1)..<end]) }
      if take == size { return Array(buf[0..<end]) }
      window *= 4
    }
  }

  /// The hash of the newest record: what the next record will link to (for an empty log, the
  /// seed's hash).
  package func historyHead() throws(StoreError) -> String {
    HistoryChain.link(after: try lastHistoryLine())
  }

  /// Walks the log once, streaming, and checks every link.
  package func verifyHistoryChain() throws(StoreError) -> HistoryChain.Report {
    var report = HistoryChain.Report()
    let fd: Int32
    do { fd = try RegularFile.openForReading(historyPath) } catch {
      if error.errno == Errno.noEntry { return report }  // no log yet
      throw .system(error)
    }
    let reader = LineReader(fd: fd, name: historyPath, ownsDescriptor: true)
    var previous: [UInt8]? = nil
    do {
      while let line = try reader.next() {
        let bytes = Array(line)
        let fields = bytes.split(separator: 0x09, omittingEmptySubsequences: false)
        if fields.count == 10 {
          let expected = HistoryChain.link(after: previous)
          if String(decoding: fields[9], as: UTF8.self) != expected {
            report.problem = "history.log line \(reader.lineNumber): the chain is broken here (the record before it was edited, deleted or moved, or this one was)"
            return report
          }
          report.chained += 1
        } else if report.chained > 0 {
          report.problem = "history.log line \(reader.lineNumber): an unchained record after chaining started (inserted or edited)"
          return report
        } else {
          report.unchained += 1
        }
        previous = bytes
      }
    } catch {
      report.problem = "history.log: \(error)"
    }
    return report
  }
}

extension LoadsetStore {
  /// `verify`'s part: a broken link is a problem; records from before chaining are a note.
  func checkHistoryChain(into report: inout VerifyReport) throws(StoreError) {
    let chain = try verifyHistoryChain()
    if let problem = chain.problem { report.problems.append(problem) }
    if chain.unchained > 0 {
      report.notes.append("history.log: the first \(chain.unchained) record(s) predate chaining and are not covered by it; chaining starts with the record after them")
    }
  }
}
