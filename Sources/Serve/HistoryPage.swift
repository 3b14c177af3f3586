import Store

/// `/history`: the log, newest first, filtered by series, tier and date, a page at a time.
enum HistoryPage {
  static func html(_ page: HistoryReader.Page, filter: HistoryReader.Filter, limit: Int, before: Int64?) -> String {
    var body = "<h1>History</h1>"
    body += "<form method=get action=\"/history\"><label>series or product<input name=series value=\"\(HTML.escape(filter.series ?? ""))\" placeholder=\"was-apache-bin-rhel5\"></label>"
    body += "<label>tier<input name=tier value=\"\(HTML.escape(filter.tier ?? ""))\" placeholder=\"PROD\"></label>"
    body += "<label>since<input name=since type=date value=\"\(HTML.escape(filter.since ?? ""))\"></label>"
    body += "<label>until<input name=until type=date value=\"\(HTML.escape(filter.until ?? ""))\"></label><button>Filter</button></form>"
    if page.records.isEmpty {
      body += "<p>No records\(before == nil ? "" : " before this point")\(filter.series != nil || filter.tier != nil || filter.since != nil || filter.until != nil ? " match the filter" : "").</p>"
    } else {
      body += "<div class=scroll><table><thead><tr><th>time (UTC)</th><th>who</th><th>event</th><th>name</th><th>from → to</th><th>checksum</th></tr></thead><tbody>"
      for r in page.records {
        body += "<tr><td>\(HTML.escape(r.time))</td><td>\(HTML.escape(r.user))@\(HTML.escape(r.host))</td><td>\(HTML.escape(r.event))</td>"
        body += "<td class=path>\(nameCell(r.name))</td><td class=path>"
        if r.from != "-" || r.to != "-" { body += "\(nameCell(r.from)) → \(nameCell(r.to))" }
        body += "</td><td class=mono>\(r.checksum == "-" ? "" : HTML.escape(r.checksum))</td></tr>"
      }
      body += "</tbody></table></div>"
    }
    let base: [(String, String?)] = [("series", filter.series), ("tier", filter.tier), ("since", filter.since), ("until", filter.until),
                                     ("limit", limit == 50 ? nil : String(limit))]
    body += "<div class=pager>"
    if before != nil { body += HTML.link("/history", "« newest", base) }
    if let next = page.next { body += HTML.link("/history", "older »", base + [("before", String(next))]) }
    body += "</div>"
    body += "<p class=muted>JSON: \(HTML.link("/api/v1/history", "/api/v1/history", base + [("before", before.map(String.init))]))</p>"
    return HTML.page(title: "History", body: body)
  }

  /// A loadset name links to its page; several (a build's nodes, command files) each do.
  static func nameCell(_ text: String) -> String {
    if text == "-" { return "" }
    return text.split(separator: ",").map { part -> String in
      let s = String(part)
      if s.hasSuffix(".T"), (try? LoadsetName(parsing: s)) != nil { return HTML.loadsetLink(s) }
      if (try? LoadsetSeries(parsing: s)) != nil { return HTML.link("/series/" + HTML.urlComponent(s), s) }
      return HTML.escape(s)
    }.joined(separator: "<br>")
  }

  /// `{"records":[{"time":...,"user":...,...,"link":...}],"next":OFFSET|null}`, newest first.
  static func json(_ page: HistoryReader.Page) -> String {
    "{\"records\":[" + page.records.map(\.json).joined(separator: ",") + "],\"next\":\(page.next.map(String.init) ?? "null")}\n"
  }
}
