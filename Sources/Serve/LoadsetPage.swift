import Loadsets
import RadmindFormat
import Store
import TranscriptIO

/// `/loadset/REF`: the transcript as a table, a page at a time, from a path on, under a prefix.
enum LoadsetPage {
  struct Query {
    var reference: String
    var name: LoadsetName
    var start: [UInt8]
    var prefix: [UInt8]
    var limit: Int
  }

  static func kind(_ e: Entry) -> String { (e.prefix == .minus ? "-" : e.prefix == .plus ? "+" : "") + String(e.kind.letter) }

  static func detail(_ e: Entry) -> String {
    switch e.kind {
    case .file, .appleFile: return String(decoding: e.checksum, as: UTF8.self)
    case .symbolicLink, .hardLink: return "→ " + String(decoding: PathCodec.encode(e.target), as: UTF8.self)
    case .blockDevice, .characterDevice: return "\(e.major), \(e.minor)"
    default: return ""
    }
  }

  static func mode(_ e: Entry) -> String {
    guard e.kind != .hardLink else { return "" }
    let o = String(e.permissions, radix: 8)
    return String(repeating: "0", count: max(0, 4 - o.count)) + o
  }

  static func html(_ q: Query, _ page: TranscriptPager.Page, meta: LoadsetStore.Metadata?) -> String {
    let name = q.name.fileName
    var body = "<h1>\(HTML.escape(name))</h1>"
    if q.reference != name && q.reference != q.name.stem {
      body += "<p class=muted>\(HTML.escape(q.reference)) names \(HTML.escape(name)) now.</p>"
    }
    if let meta {
      body += "<dl>"
      for key in ["type", "created", "user", "host", "entries", "files", "bytes", "digest", "nodes"] {
        if let v = meta[key] { body += "<dt>\(key)</dt><dd>\(key == "bytes" ? HTML.size(Int64(v)) + " (\(v))" : HTML.escape(v))</dd>" }
      }
      body += "</dl>"
    }
    body += "<p>\(HTML.link("/series/" + HTML.urlComponent(q.name.series.description), "Series " + q.name.series.description))</p>"
    let prefixText = String(decoding: PathCodec.encode(q.prefix), as: UTF8.self)
    let startText = String(decoding: PathCodec.encode(q.start), as: UTF8.self)
    body += "<form method=get action=\"/loadset/\(HTML.escape(HTML.urlComponent(name)))\"><label>path prefix<input name=prefix value=\"\(HTML.escape(prefixText))\" placeholder=\"/usr/lib\"></label>"
    body += "<label>from path<input name=from value=\"\(HTML.escape(startText))\"></label><button>Show</button></form>"
    if page.entries.isEmpty {
      body += "<p>No lines\(q.prefix.isEmpty ? "" : " under this prefix")\(q.start.isEmpty ? "" : " from this path").</p>"
    } else {
      body += "<div class=scroll><table><thead><tr><th>type</th><th>path</th><th>mode</th><th class=num>uid</th><th class=num>gid</th><th class=num>mtime</th><th class=num>size</th><th>checksum / target</th></tr></thead><tbody>"
      for e in page.entries {
        let hasContent = e.kind.hasContent
        body += "<tr><td class=mono>\(HTML.escape(kind(e)))</td><td class=\"path mono\">\(HTML.escape(bytes: e.path))</td><td class=mono>\(mode(e))</td>"
        body += "<td class=num>\(e.kind == .hardLink ? "" : String(e.uid))</td><td class=num>\(e.kind == .hardLink ? "" : String(e.gid))</td>"
        body += "<td class=num>\(hasContent ? String(e.mtime) : "")</td><td class=num>\(hasContent ? String(e.size) : "")</td>"
        body += "<td class=mono>\(HTML.escape(detail(e)))</td></tr>"
      }
      body += "</tbody></table></div>"
    }
    let base = "/loadset/" + HTML.urlComponent(name)
    body += "<div class=pager>"
    if !q.start.isEmpty { body += HTML.link(base, "« first page", [("prefix", prefixText), ("limit", q.limit == 100 ? nil : String(q.limit))]) }
    if let next = page.next {
      body += HTML.link(base, "next page »", [("prefix", prefixText), ("from", String(decoding: PathCodec.encode(next), as: UTF8.self)), ("limit", q.limit == 100 ? nil : String(q.limit))])
    }
    body += "</div>"
    body += "<p class=muted>JSON: \(HTML.link("/api/v1" + base, "/api/v1" + base, [("prefix", prefixText), ("from", startText)]))</p>"
    return HTML.page(title: name, body: body)
  }

  /// `{"loadset":NAME,"reference":REF,"entries":[{"path":...,"type":...,...}],"next":PATH|null}`;
  /// each entry has the fields `loadsmith diff --json` gives an added path.
  static func json(_ q: Query, _ page: TranscriptPager.Page) -> String {
    var out = Array("{\"loadset\":\(JSONText.quote(q.name.fileName)),\"reference\":\(JSONText.quote(q.reference)),\"entries\":[".utf8)
    for (k, e) in page.entries.enumerated() {
      if k > 0 { out.append(0x2C) }
      DiffOutput.appendEntryJSON(e, to: &out)
    }
    out += Array("],\"next\":".utf8)
    if let next = page.next { JSONText.append(PathCodec.encode(next), to: &out) } else { out += Array("null".utf8) }
    out += Array("}\n".utf8)
    return String(decoding: out, as: UTF8.self)
  }
}
