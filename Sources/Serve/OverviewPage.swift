import Store

/// `/`: every product and series, their pointers, last-known-good, sizes and file counts, and
/// what each tier's command file names.
enum OverviewPage {
  static func html(_ status: StoreStatus, changePending: Bool = false) -> String {
    var body = "<h1>Store overview</h1><p class=muted>\(HTML.escape(status.root))</p>"
    if changePending {
      // Only a writer that died mid-change leaves this for long; the next writer finishes it.
      body += "<p class=err>A change is pending in this store (an interrupted release, promotion or rollback?): what is shown may be part-way through it. The next loadsmith command that changes the store finishes it.</p>"
    }
    if status.series.isEmpty { body += "<p>The store holds no loadsets yet.</p>" }
    var products: [String: [StoreStatus.Series]] = [:]
    for s in status.series {
      let product = s.name.split(separator: "-").prefix(2).joined(separator: "-")
      products[product, default: []].append(s)
    }
    for product in products.keys.sorted() {
      body += "<h2>\(HTML.escape(product))</h2><div class=cards>"
      for s in products[product]! {
        body += "<div class=card><h3>\(HTML.link("/series/" + HTML.urlComponent(s.name), s.name))</h3><dl>"
        body += "<dt>type</dt><dd>\(HTML.escape(s.type))\(s.os.map { " · os " + HTML.escape($0) } ?? "")</dd>"
        for p in s.pointers {
          let label = p.name.dropLast(2).split(separator: "-").last.map(String.init) ?? p.name
          body += "<dt>\(HTML.escape(label))</dt><dd>\(HTML.loadsetLink(p.target))</dd>"
        }
        if s.type != "cfg" { body += "<dt>last-known-good</dt><dd>\(HTML.loadsetLink(s.lastKnownGood))</dd>" }
        let items = s.type == "cfg" ? s.snapshots : s.builds
        let files = items.last?.files.map(String.init) ?? "?"
        body += "<dt>\(s.type == "cfg" ? "snapshots" : "builds")</dt><dd>\(items.count)</dd>"
        if let newest = items.last {
          body += "<dt>newest</dt><dd>\(HTML.loadsetLink(newest.name)) · \(files) files · \(HTML.size(newest.bytes))</dd>"
        }
        body += "</dl></div>"
      }
      body += "</div>"
      let commands = status.commandFiles.filter { $0.0.hasPrefix(product + "-") }
      if !commands.isEmpty {
        body += "<h3>Tiers</h3><div class=scroll><table><thead><tr><th>command file</th><th>names</th></tr></thead><tbody>"
        for (file, lines) in commands {
          let names = lines.map { line -> String in
            let f = line.split(separator: " ", maxSplits: 1)
            return f.count == 2 ? HTML.escape(String(f[0])) + " " + HTML.loadsetLink(String(f[1])) : HTML.escape(line)
          }
          body += "<tr><td class=mono>\(HTML.escape(file))</td><td>\(names.isEmpty ? "<span class=muted>(empty)</span>" : names.joined(separator: "<br>"))</td></tr>"
        }
        body += "</tbody></table></div>"
      }
    }
    let orphanCommands = status.commandFiles.filter { c in !products.keys.contains { c.0.hasPrefix($0 + "-") } }
    if !orphanCommands.isEmpty {
      body += "<h2>Other command files</h2><ul>" + orphanCommands.map { "<li class=mono>\(HTML.escape($0.0))</li>" }.joined() + "</ul>"
    }
    body += "<p class=muted>JSON: <a href=\"/api/v1/status\">/api/v1/status</a> (as <code>loadsmith status --json</code>)</p>"
    return HTML.page(title: "Overview", body: body)
  }
}
