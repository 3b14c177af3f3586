import Loadsets
import RadmindFormat
import Store
import TranscriptIO

/// `/diff?a=REF&b=REF`: what `loadsmith diff A B` reports, from the same engine: the counts,
/// then one page of changes. The engine streams both transcripts (memory does not grow with
/// them); only the page's changes are kept.
enum DiffPage {
  struct Result {
    var a: LoadsetName
    var b: LoadsetName
    var summary: DiffSummary
    var changes: [DiffChange] = []
    var offset: Int
    var limit: Int
    var total: Int { summary.added + summary.removed + summary.typeChanged + summary.changed }
  }

  static func run(store: LoadsetStore, a: LoadsetName, b: LoadsetName, offset: Int, limit: Int) throws(ServeError) -> Result {
    let engine = TranscriptDiff()
    var seen = 0
    var page: [DiffChange] = []
    let summary: DiffSummary
    do {
      summary = try engine.run(a: store.publishedTranscriptPath(a), b: store.publishedTranscriptPath(b)) { change in
        if seen >= offset && page.count < limit { page.append(change) }
        seen += 1
      }
    } catch let error as TranscriptDiffError {
      throw ServeError(500, "damaged transcript: " + error.message.replacingStorePath(store.root))
    } catch {
      throw ServeError(500, "\(error)")
    }
    return Result(a: a, b: b, summary: summary, changes: page, offset: offset, limit: limit)
  }

  static func form(_ a: String, _ b: String) -> String {
    "<form method=get action=\"/diff\"><label>from (A)<input name=a value=\"\(HTML.escape(a))\" placeholder=\"was-apache-bin-rhel5@001.001\"></label>"
      + "<label>to (B)<input name=b value=\"\(HTML.escape(b))\" placeholder=\"was-apache-bin-rhel5-current\"></label><button>Compare</button></form>"
  }

  static func emptyHTML() -> String {
    HTML.page(title: "Diff", body: "<h1>Diff</h1><p>Compare any two loadsets: <code>SERIES@VERSION</code>, <code>SERIES@VERSION-nodeN</code>, <code>SERIES@NNNN</code> (cfg), or a loadset or pointer name.</p>" + form("", ""))
  }

  static func path(_ e: Entry) -> String { HTML.escape(bytes: e.path) }

  static func fieldValue(_ f: DiffField, _ e: Entry) -> String {
    switch f {
    case .mode: return LoadsetPage.mode(e)
    case .uid: return String(e.uid)
    case .gid: return String(e.gid)
    case .mtime: return String(e.mtime)
    case .size: return String(e.size)
    case .checksum: return String(decoding: e.checksum, as: UTF8.self)
    case .target: return String(decoding: PathCodec.encode(e.target), as: UTF8.self)
    case .device: return "\(e.major), \(e.minor)"
    }
  }

  static func html(_ r: Result, aText: String, bText: String) -> String {
    var body = "<h1>Diff</h1>" + form(aText, bText)
    body += "<p>\(HTML.loadsetLink(r.a.fileName)) → \(HTML.loadsetLink(r.b.fileName))</p>"
    let s = r.summary
    body += "<div class=scroll><table><tbody>"
    for (label, n) in [("added", s.added), ("removed", s.removed), ("type changed", s.typeChanged), ("changed", s.changed)] {
      body += "<tr><th>\(label)</th><td class=num>\(n)</td></tr>"
    }
    for f in DiffField.allCases where s.fieldCounts[f] != nil { body += "<tr><th>&nbsp;&nbsp;\(f.rawValue)</th><td class=num>\(s.fieldCounts[f]!)</td></tr>" }
    body += "<tr><th>unchanged</th><td class=num>\(s.unchanged)</td></tr><tr><th>bytes added</th><td class=num>\(s.bytesAdded)</td></tr><tr><th>bytes removed</th><td class=num>\(s.bytesRemoved)</td></tr></tbody></table></div>"
    if s.isEqual { body += "<p><strong>The transcripts are equal.</strong></p>" }
    if !r.changes.isEmpty {
      body += "<h2>Changes \(r.offset + 1)–\(r.offset + r.changes.count) of \(r.total)</h2>"
      body += "<div class=scroll><table><thead><tr><th>change</th><th>path</th><th>what</th></tr></thead><tbody>"
      for c in r.changes {
        switch c {
        case .added(let e):
          body += "<tr class=added><td>added</td><td class=\"path mono\">\(path(e))</td><td class=mono>\(HTML.escape(LoadsetPage.kind(e))) \(LoadsetPage.mode(e)) \(HTML.escape(LoadsetPage.detail(e)))</td></tr>"
        case .removed(let e):
          body += "<tr class=removed><td>removed</td><td class=\"path mono\">\(path(e))</td><td class=mono>\(HTML.escape(LoadsetPage.kind(e))) \(LoadsetPage.mode(e)) \(HTML.escape(LoadsetPage.detail(e)))</td></tr>"
        case .typeChanged(let old, let new):
          body += "<tr class=type><td>type</td><td class=\"path mono\">\(path(new))</td><td class=mono>\(HTML.escape(LoadsetPage.kind(old))) → \(HTML.escape(LoadsetPage.kind(new)))</td></tr>"
        case .changed(let old, let new, let fields):
          let what = fields.map { "\($0.rawValue): \(HTML.escape(fieldValue($0, old))) → \(HTML.escape(fieldValue($0, new)))" }.joined(separator: "<br>")
          body += "<tr class=changed><td>changed</td><td class=\"path mono\">\(path(new))</td><td class=mono>\(what)</td></tr>"
        }
      }
      body += "</tbody></table></div>"
    }
    body += "<div class=pager>"
    let q: (Int) -> [(String, String?)] = { [("a", aText), ("b", bText), ("offset", String($0)), ("limit", r.limit == 200 ? nil : String(r.limit))] }
    if r.offset > 0 { body += HTML.link("/diff", "« previous", q(max(0, r.offset - r.limit))) }
    if r.offset + r.changes.count < r.total { body += HTML.link("/diff", "next »", q(r.offset + r.limit)) }
    body += "</div>"
    body += "<p class=muted>JSON: \(HTML.link("/api/v1/diff", "/api/v1/diff", [("a", aText), ("b", bText)])) (changes as <code>loadsmith diff --json</code>)</p>"
    return HTML.page(title: "Diff", body: body)
  }

  /// `{"a":NAME,"b":NAME,"offset":N,"changes":[...],"summary":{...},"next":N|null}`: the changes
  /// and the summary exactly as `loadsmith diff --json` prints them.
  static func json(_ r: Result) -> String {
    var out = Array("{\"a\":\(JSONText.quote(r.a.fileName)),\"b\":\(JSONText.quote(r.b.fileName)),\"offset\":\(r.offset),\"changes\":[".utf8)
    for (k, c) in r.changes.enumerated() {
      if k > 0 { out.append(0x2C) }
      DiffOutput.appendJSON(c, to: &out)
      out.removeLast()  // its LF
    }
    out += Array("],".utf8)
    var summary: [UInt8] = []
    DiffOutput.appendJSONSummary(r.summary, to: &summary)
    out += summary[1 ..< summary.count - 2]  // "summary":{...} without the wrapping braces and LF
    let next = r.offset + r.changes.count < r.total ? String(r.offset + r.limit) : "null"
    out += Array(",\"next\":\(next)}\n".utf8)
    return String(decoding: out, as: UTF8.self)
  }
}

extension String {
  /// Error messages name transcripts relative to the store, not by their path on the server.
  func replacingStorePath(_ root: String) -> String {
    var out = self
    while let r = out.firstRange(of: root + "/") { out.replaceSubrange(r, with: "") }
    return out
  }
}
