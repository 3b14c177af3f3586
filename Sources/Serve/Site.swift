import SystemCalls
import RadmindFormat
import Store

/// Every page and API document of the site, as text, from the store. Read-only: nothing here
/// takes the store's lock or writes; names from the request go through ``References``.
struct Site: Sendable {
  let store: LoadsetStore
  let snapshot: StoreSnapshot

  init(store: LoadsetStore) {
    self.store = store
    snapshot = StoreSnapshot(store: store)
  }

  enum Format { case html, json }

  /// Query parameters, decoded, by name.
  typealias Query = [String: String]

  static func now() -> Double {
    let ts = Clock.now()
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  static func integer(_ q: Query, _ key: String, default value: Int, range: ClosedRange<Int>) throws(ServeError) -> Int {
    guard let text = q[key], !text.isEmpty else { return value }
    guard text.utf8.count <= 18, let n = Int(text), range.contains(n) else {
      throw .badRequest("\(key) must be a number from \(range.lowerBound) to \(range.upperBound)")
    }
    return n
  }

  static func date(_ q: Query, _ key: String) throws(ServeError) -> String? {
    guard let text = q[key], !text.isEmpty else { return nil }
    let u = Array(text.utf8)
    let digits = [0, 1, 2, 3, 5, 6, 8, 9]
    guard u.count == 10, u[4] == 0x2D, u[7] == 0x2D, digits.allSatisfy({ u[$0] >= 0x30 && u[$0] <= 0x39 }) else {
      throw .badRequest("\(key) must be a date, YYYY-MM-DD")
    }
    return text
  }

  /// A path parameter as transcripts write it (radmind's encoding, `\\b` for a space: what the JSON
  /// gives as `path` and `next`), or as typed (a raw path with spaces); decoded bytes.
  static func path(_ q: Query, _ key: String) throws(ServeError) -> [UInt8] {
    let text = Array((q[key] ?? "").utf8)
    if text.count > 4096 { throw .badRequest("\(key): a path of at most 4096 bytes") }
    if text.contains(0x20) || text.contains(0x09) { return text }
    guard let decoded = PathCodec.decode(text) else { throw .badRequest("\(key): not a path in transcript encoding (a '\\' starts an escape: \\b, \\t, \\\\ ...)") }
    return decoded
  }

  // MARK: Pages

  func overview(_ format: Format) throws(ServeError) -> String {
    switch format {
    case .html: return try snapshot.rendered("overview.html") { OverviewPage.html($0, changePending: store.changePending) }
    case .json: return try snapshot.rendered("overview.json") { $0.json }
    }
  }

  func series(_ name: String, _ format: Format) throws(ServeError) -> String {
    let series = try References.series(name)
    let key = (format == .html ? "series.html " : "series.json ") + series.description
    return try snapshot.rendered(key) { (status) throws(ServeError) -> String in
      var one = status
      one.series = status.series.filter { $0.name == series.description }
      guard !one.series.isEmpty else { throw .notFound("no series \(series) in the store") }
      // As `loadsmith status SERIES` filters them.
      one.commandFiles = status.commandFiles.filter { file, _ in
        let stem = String(file.dropLast(2)), f = series.description
        return stem == f || stem.hasPrefix(f + "-") || f.hasPrefix(stem + "-")
      }
      one.tiers = try? store.tierStatus(series.description)
      one.foreign = status.foreign.filter { $0.name == series.description || $0.name == series.description + ".T" }
      one.bytes = status.bytes.filter { $0.key == series.description }
      one.storeBytes = nil  // `status SERIES` accounts for its series only
      let timeline = Timeline.read(store: store, series: series)
      switch format {
      case .html: return SeriesPage.html(one, series: series, timeline: timeline, now: Site.now())
      case .json:
        // `status SERIES --json`, and the timeline beside its fields.
        let status = one.json
        return String(status.dropLast(2)) + ",\"timeline\":\(timeline.json)}\n"
      }
    }
  }

  func loadset(_ reference: String, _ query: Query, _ format: Format) throws(ServeError) -> String {
    let name = try References.resolve(reference, in: store)
    let limit = try Site.integer(query, "limit", default: 100, range: 1...1000)
    let start = try Site.path(query, "from"), prefix = try Site.path(query, "prefix")
    let pager = TranscriptPager(path: store.publishedTranscriptPath(name), displayName: name.fileName)
    let page: TranscriptPager.Page
    do { page = try pager.page(start: start, prefix: prefix, limit: limit) } catch {
      throw ServeError(500, "damaged transcript: \(error.message)")
    }
    let q = LoadsetPage.Query(reference: reference, name: name, start: start, prefix: prefix, limit: limit)
    switch format {
    case .html: return LoadsetPage.html(q, page, meta: store.metadata(of: name.fileName))
    case .json: return LoadsetPage.json(q, page)
    }
  }

  func diff(_ query: Query, _ format: Format) throws(ServeError) -> String {
    let aText = query["a"] ?? "", bText = query["b"] ?? ""
    if aText.isEmpty && bText.isEmpty && format == .html { return DiffPage.emptyHTML() }
    if aText.isEmpty || bText.isEmpty { throw .badRequest("diff needs two references: ?a=REF&b=REF") }
    let a = try References.resolve(aText, in: store), b = try References.resolve(bText, in: store)
    let limit = try Site.integer(query, "limit", default: 200, range: 1...1000)
    let offset = try Site.integer(query, "offset", default: 0, range: 0...100_000_000)
    let result = try DiffPage.run(store: store, a: a, b: b, offset: offset, limit: limit)
    switch format {
    case .html: return DiffPage.html(result, aText: aText, bText: bText)
    case .json: return DiffPage.json(result)
    }
  }

  func history(_ query: Query, _ format: Format) throws(ServeError) -> String {
    var filter = HistoryReader.Filter()
    if let s = query["series"], !s.isEmpty {
      try References.checkText(s, "series")
      guard s.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E }) else {
        throw .badRequest("series '\(References.printable(s))': a series, product or loadset name is lowercase letters, digits, '-' and '.'")
      }
      filter.series = s
    }
    if let t = query["tier"], !t.isEmpty {
      guard t.utf8.count <= 32, t.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) }) else {
        throw .badRequest("tier '\(References.printable(t))': a tier is letters and digits (as in .loadsmith/tiers)")
      }
      filter.tier = t
    }
    filter.since = try Site.date(query, "since")
    filter.until = try Site.date(query, "until")
    let limit = try Site.integer(query, "limit", default: 50, range: 1...1000)
    let before = try Site.integer(query, "before", default: -1, range: 0...Int(Int64.max / 2))
    let page = try HistoryReader(store: store).page(before: before < 0 ? nil : Int64(before), limit: limit, filter: filter)
    switch format {
    case .html: return HistoryPage.html(page, filter: filter, limit: limit, before: before < 0 ? nil : Int64(before))
    case .json: return HistoryPage.json(page)
    }
  }

  func dsl(_ format: Format) throws(ServeError) -> String {
    let listing = try DSLPage.listing(store: store)
    switch format {
    case .html: return DSLPage.html(listing)
    case .json: return DSLPage.json(listing)
    }
  }
}
