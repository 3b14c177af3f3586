import SystemCalls
import Store
import TranscriptIO

/// The history log read newest first, backwards in chunks from a byte offset: a page costs the
/// records it shows (and the ones its filter skips), never the whole log.
struct HistoryReader {
  static let chunk = 1 << 16

  struct Filter {
    var series: String?
    /// A tier name (`PROD`): records that changed what that tier's command files name.
    var tier: String?
    /// `YYYY-MM-DD` (or a longer ISO-8601 prefix): records at or after it.
    var since: String?
    /// `YYYY-MM-DD`: records on or before that day.
    var until: String?
  }

  struct Page {
    var records: [HistoryRecord] = []
    /// Where the next (older) page starts reading backwards; nil when the log's start was reached.
    var next: Int64?
  }

  let store: LoadsetStore

  /// Up to `limit` matching records, newest first, from the records that end at or before byte
  /// `before` (nil: the end of the log). A record still being appended (no LF yet) is not shown.
  func page(before: Int64?, limit: Int, filter: Filter) throws(ServeError) -> Page {
    let path = store.historyLogPath
    guard let fd = try? Syscall.open(path, [.readOnly]) else { return Page() }
    defer { Syscall.closeQuietly(fd) }
    guard let st = try? Syscall.fstat(fd, path: path) else { return Page() }
    let size = Int64(st.st_size)
    var page = Page()
    var tiers = TierMatcher(store: store, tier: filter.tier)
    var readFrom = min(before ?? size, size)
    var carry: [UInt8] = []     // bytes from readFrom up to the end of the next line to yield
    var first = true
    while readFrom > 0 {
      let start = max(0, readFrom - Int64(HistoryReader.chunk))
      var buf = [UInt8](repeating: 0, count: Int(readFrom - start))
      let n = Syscall.pread(fd, into: &buf, at: start)
      if n != buf.count { throw ServeError(500, "history.log: read error at byte \(start)") }
      buf += carry
      readFrom = start
      var e = buf.count
      if first {
        // End on a line boundary: after the last LF.
        guard let last = buf.lastIndex(of: 0x0A) else { carry = buf; if start == 0 { break } else { continue } }
        e = last + 1
        first = false
      }
      while e > 0 {
        let body = e - 1
        let lineStart: Int
        if let nl = buf[0..<body].lastIndex(of: 0x0A) { lineStart = nl + 1 } else if start == 0 { lineStart = 0 } else { break }
        if let record = HistoryRecord.parse(Substring(decoding: buf[lineStart..<body], as: UTF8.self)) {
          // The log is in time order: past `since`, every older record is older still.
          if let since = filter.since, record.time < since { return page }
          if matches(record, filter, &tiers) {
            if page.records.count == limit { page.next = start + Int64(e); return page }
            page.records.append(record)
          }
        }
        e = lineStart
      }
      carry = Array(buf[0..<e])
      if carry.count > 1 << 20 { throw ServeError(500, "history.log: a line longer than 1 MiB before byte \(start)") }
    }
    return page
  }

  func matches(_ r: HistoryRecord, _ f: Filter, _ tiers: inout TierMatcher) -> Bool {
    if let series = f.series, !r.concerns(series) { return false }
    if let until = f.until, r.time.prefix(until.count) > until { return false }
    if f.tier != nil, !tiers.matches(r) { return false }
    return true
  }
}

/// Whether a record changed what a tier's command files name: a rewrite of the tier's command
/// files, a move of a pointer the tier's map follows, or a new build where it follows `newest`.
struct TierMatcher {
  let store: LoadsetStore
  let tier: String?
  var maps: [String: TierMap.Tier?] = [:]

  init(store: LoadsetStore, tier: String?) {
    self.store = store
    self.tier = tier
  }

  mutating func row(for product: String) -> TierMap.Tier? {
    if let cached = maps[product] { return cached }
    let row = (try? store.tiers(for: product))?.tiers.first { $0.name == tier }
    maps[product] = row
    return row
  }

  mutating func matches(_ r: HistoryRecord) -> Bool {
    guard let tier else { return true }
    // Read newest first, the page cannot know the pins of the time: every series follows.
    return TierRecordRule.changes(r, tier: tier, row: { row(for: $0) }, follows: { _ in true })
  }
}
