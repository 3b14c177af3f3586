import Store

/// `/series/NAME`: builds, node loadsets, cfg snapshots with dates and sizes, and the timeline.
enum SeriesPage {
  static func html(_ status: StoreStatus, series: LoadsetSeries, timeline: Timeline, now: Double) -> String {
    guard let s = status.series.first(where: { $0.name == series.description }) else {
      return ServeError.notFound("no series \(series) in the store").html
    }
    var body = "<h1>\(HTML.escape(s.name))</h1><p class=muted>\(HTML.escape(s.type))\(s.os.map { " · os " + HTML.escape($0) } ?? "")</p>"
    body += "<dl>"
    for p in s.pointers { body += "<dt>\(HTML.escape(String(p.name.dropLast(2))))</dt><dd>\(HTML.loadsetLink(p.target))</dd>" }
    if s.type != "cfg" { body += "<dt>last-known-good</dt><dd>\(HTML.loadsetLink(s.lastKnownGood))</dd>" }
    body += "</dl>"
    body += "<h2>Timeline</h2>" + timeline.svg(now: now)
    func table(_ title: String, _ rows: [StoreStatus.Loadset], nodes: Bool) -> String {
      guard !rows.isEmpty else { return "" }
      var t = "<h2>\(title)</h2><div class=scroll><table><thead><tr><th>loadset</th><th>created</th><th class=num>files</th><th class=num>size</th>"
      t += nodes ? "<th>nodes</th>" : "<th>node</th>"
      t += "<th>diff</th></tr></thead><tbody>"
      var previousByNode: [String: String] = [:]
      for r in rows {
        // A build follows the build before it; a node loadset, the same node of the version before.
        let previous = previousByNode[nodes ? "" : r.node ?? ""]
        t += "<tr><td>\(HTML.loadsetLink(r.name))</td><td>\(HTML.escape(r.created ?? "?"))</td>"
        t += "<td class=num>\(r.files.map(String.init) ?? "?")</td><td class=num>\(HTML.size(r.bytes))</td>"
        t += nodes ? "<td>\(r.nodes.map { HTML.loadsetLink($0) }.joined(separator: "<br>"))</td>" : "<td>\(HTML.escape(r.node ?? ""))</td>"
        t += "<td>\(previous.map { HTML.link("/diff", "from previous", [("a", $0), ("b", r.name)]) } ?? "")</td></tr>"
        previousByNode[nodes ? "" : r.node ?? ""] = r.name
      }
      return t + "</tbody></table></div>"
    }
    body += table("Builds", s.builds, nodes: true)
    body += table("Node loadsets", s.nodeLoadsets, nodes: false)
    body += table("Snapshots", s.snapshots, nodes: false)
    body += "<p>\(HTML.link("/history", "History of this series", [("series", s.name)]))</p>"
    body += "<p class=muted>JSON: \(HTML.link("/api/v1/series/" + HTML.urlComponent(s.name), "/api/v1/series/" + s.name)) (as <code>loadsmith status \(HTML.escape(s.name)) --json</code>, with the timeline)</p>"
    return HTML.page(title: s.name, body: body)
  }
}
