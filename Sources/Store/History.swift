import SystemCalls
import TranscriptIO

/// One record of the history log: a publish, a pointer move, a last-known-good change or a
/// command-file rewrite.
package struct HistoryRecord: Sendable, Equatable {
  package var time: String
  package var user: String
  package var host: String
  /// `publish`, `move`, `lkg`, `commands`, `deploy` and `tier-rollback` (name `SERIES@TIER`), `tag`.
  package var event: String
  /// The loadset, pointer, series or product concerned.
  package var name: String
  package var from: String
  package var to: String
  /// The transcript's checksum (`DIGEST:BASE64`) of the loadset published or pointed to.
  package var checksum: String
  /// The intent the record belongs to: records with one id were one logical step.
  package var intent: String
  /// SHA-256 of the line before this record (``HistoryChain``); nil in records written before chaining.
  package var link: String?

  /// The record's line without its LF.
  var fieldsLine: String {
    var fields = [time, user, host, event, name, from, to, checksum, intent].map(HistoryRecord.clean)
    if let link { fields.append(link) }
    return fields.joined(separator: "\t")
  }

  /// The ``checksum`` field for a transcript checksummed with `digest`: `sha1:BASE64`. (A record
  /// whose checksum is not known holds `-`: see ``Metadata/loggedChecksum``.)
  static func checksumField(digest: String, _ checksum: String) -> String {
    "\(digest):\(checksum)"
  }

  static func clean(_ s: String) -> String {
    if !s.isEmpty && !s.utf8.contains(where: { $0 == 0x09 || $0 == 0x0A }) { return s }
    let c = String(s.map { $0 == "\t" || $0 == "\n" ? " " : $0 })
    return c.isEmpty ? "-" : c
  }

  init?(line: Substring) {
    let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    guard f.count == 9 || f.count == 10 else { return nil }
    (time, user, host, event, name, from, to, checksum, intent) = (f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8])
    link = f.count == 10 ? f[9] : nil
  }

  init(event: String, name: String, from: String, to: String, checksum: String, intent: String) {
    time = Clock.timestamp(milliseconds: true)
    user = ProcessIdentity.user
    host = ProcessIdentity.host
    (self.event, self.name, self.from, self.to, self.checksum, self.intent) = (event, name, from, to, checksum, intent)
  }

  /// True when the record was written at or after `date` (`YYYY-MM-DD` or a longer ISO-8601 UTC
  /// prefix such as `2026-11-29T21:00`): records carry ISO-8601 UTC times, which sort as text.
  package func isAtOrAfter(_ date: String) -> Bool { time >= date }

  /// True when the record concerns `filter` (a loadset, pointer, series or product name).
  package func concerns(_ filter: String) -> Bool {
    let f = NameFilter(filter)
    return [name, from, to].contains { f.selects($0) }
  }
}

extension LoadsetStore {
  /// Appends the intent's log actions as history records, each chained to the line before it
  /// (``HistoryChain``): one `write(2)` on an `O_APPEND` descriptor, then `fsync`. The log is only
  /// ever appended to, and only by the lock holder.
  func appendHistory(_ intent: Intent) throws(StoreError) {
    var text = ""
    var previous = try lastHistoryLine()
    for case .log(let event, let name, let from, let to, let checksum) in intent.actions {
      var record = HistoryRecord(event: event, name: name, from: from, to: to, checksum: checksum, intent: intent.id)
      record.link = HistoryChain.link(after: previous)
      let line = record.fieldsLine
      text += line + "\n"
      previous = Array(line.utf8)
    }
    // O_NONBLOCK | O_NOFOLLOW, then a regular file only: a FIFO or a link here must not block or redirect a writer.
    let fd: Int32
    do { fd = try Syscall.open(historyPath, [.writeOnly, .append, .create, .nonBlocking, .noFollow], mode: 0o644) } catch {
      if let kind = RegularFile.typeIfNotRegular(historyPath) { throw StoreError(.store, "\(historyPath) is \(kind), not a regular file") }
      throw .system(error)
    }
    defer { Syscall.closeQuietly(fd) }
    if let st = try? Syscall.fstat(fd, path: historyPath), FileType(mode: st.st_mode) != .regular {
      throw StoreError(.store, "\(historyPath) \(RegularFile.notRegular(st.st_mode))")
    }
    // A record cut short by a power loss must not swallow the next one.
    if let st = try? Syscall.fstat(fd, path: historyPath), st.st_size > 0 {
      var last: [UInt8] = [0x0A]
      if let rfd = try? Syscall.open(historyPath, [.readOnly]) {
        _ = Syscall.pread(rfd, into: &last, at: Int64(st.st_size - 1))
        Syscall.closeQuietly(rfd)
      }
      if last[0] != 0x0A { text = "\n" + text }
    }
    let bytes = Array(text.utf8)
    try sys(Syscall.writeAll(fd, bytes, path: historyPath))
    do { try Syscall.fsync(fd, path: historyPath) } catch { throw .system(error) }
  }

  /// True when the log already holds records of intent `id` (they are always at its end, because
  /// only the lock holder appends and it applies one intent at a time).
  func historyContains(intentID id: String) throws(StoreError) -> Bool {
    guard let fd = try? RegularFile.openForReading(historyPath) else { return false }
    defer { Syscall.closeQuietly(fd) }
    let st = (try? Syscall.fstat(fd, path: historyPath)) ?? FileStatus()
    let tail = min(Int(st.st_size), 1 << 16)
    var buf = [UInt8](repeating: 0, count: tail)
    let n = Syscall.pread(fd, into: &buf, at: Int64(Int(st.st_size) - tail))
    guard n > 0 else { return false }
    let tailText = String(decoding: buf[0..<n], as: UTF8.self)
    return tailText.contains("\t" + id + "\n") || tailText.contains("\t" + id + "\t")
  }

  /// Every history record, oldest first (lines that do not parse are skipped).
  package func history() throws(StoreError) -> [HistoryRecord] {
    var records: [HistoryRecord] = []
    try forEachHistoryRecord { records.append($0) }
    return records
  }

  /// Streams the history log oldest first, one record at a time: memory does not grow with the log.
  package func forEachHistoryRecord(_ body: (HistoryRecord) throws(StoreError) -> Void) throws(StoreError) {
    let fd: Int32
    do { fd = try RegularFile.openForReading(historyPath) } catch {
      if error.errno == Errno.noEntry { return }  // no log yet
      throw .system(error)
    }
    let reader = LineReader(fd: fd, name: historyPath, ownsDescriptor: true)
    try StoreError.mappingScan(of: historyPath) {
      while let line = try reader.next() {
        if let record = HistoryRecord(line: Substring(String(decoding: line, as: UTF8.self))) { try body(record) }
      }
    }
  }
}
