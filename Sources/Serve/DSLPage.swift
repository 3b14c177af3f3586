import Library
import Store

/// `/dsl`: the DSL's archives, their manifests and tags (what `loadsmith dsl list` shows).
enum DSLPage {
  static func listing(store: LoadsetStore) throws(ServeError) -> (path: String, listing: DSLListing)? {
    guard let path = store.dslDirectory else { return nil }
    do {
      let dsl = try DSL.open(at: path)
      var listing = try dsl.list()
      // Restricted material is not named on the web, whatever the server may read.
      listing.protectedEntries = nil
      return (path, listing)
    } catch {
      throw ServeError(500, error.message)
    }
  }

  static func html(_ result: (path: String, listing: DSLListing)?) -> String {
    guard let (path, listing) = result else {
      return HTML.page(title: "DSL", body: "<h1>DSL</h1><p>This store records no DSL (<code>loadsmith init --dsl DIR</code>).</p>")
    }
    var body = "<h1>DSL</h1><p class=muted>\(HTML.escape(path))</p>"
    if listing.archives.isEmpty { body += "<p>No archives yet.</p>" }
    else {
      body += "<div class=scroll><table><thead><tr><th>archive</th><th>loadset</th><th class=num>files</th><th class=num>size</th><th class=num>archived</th><th>created</th><th>by</th><th>signature</th><th>tags</th></tr></thead><tbody>"
      for a in listing.archives {
        body += "<tr><td class=\"path mono\">\(HTML.escape(a.path))</td>"
        if let m = a.manifest {
          body += "<td>\(HTML.loadsetLink(m.loadset))</td><td class=num>\(m.files)</td><td class=num>\(HTML.size(m.bytes))</td><td class=num>\(HTML.size(m.archiveBytes))</td>"
          body += "<td>\(HTML.escape(m.created))</td><td>\(HTML.escape(m.who))</td>"
          let signature = a.signature.map { $0 == .unsigned ? "unsigned" : $0.description } ?? "-"
          body += "<td\(a.signature?.isVerified == true ? "" : " class=err")>\(HTML.escape(signature))</td>"
        } else {
          body += "<td colspan=7 class=err>\(HTML.escape(a.problem ?? "no manifest"))</td>"
        }
        body += "<td>\(a.tags.map(HTML.escape).joined(separator: "<br>"))</td></tr>"
      }
      body += "</tbody></table></div>"
      body += "<h2>Manifests</h2>"
      for a in listing.archives {
        guard let m = a.manifest else { continue }
        body += "<details><summary class=mono>\(HTML.escape(a.path))</summary><dl>"
        let rows: [(String, String)] = [("loadset", m.loadset), ("type", m.type), ("archive", m.archive),
          ("archive sha256", m.archiveSHA256), ("archive bytes", String(m.archiveBytes)),
          ("transcript digest", m.digestAlgorithm + ":" + m.transcriptDigest), ("files", String(m.files)),
          ("bytes", String(m.bytes)), ("source store", m.sourceStore), ("created", m.created), ("who", m.who),
          ("signing key", m.signingKey ?? "-"), ("parent", m.parent ?? "-"), ("history head", m.historyHead ?? "-")]
        for (k, v) in rows { body += "<dt>\(HTML.escape(k))</dt><dd class=mono>\(HTML.escape(v))</dd>" }
        body += "</dl></details>"
      }
    }
    body += "<p class=muted>JSON: <a href=\"/api/v1/dsl\">/api/v1/dsl</a> (as <code>loadsmith dsl list --json</code>)</p>"
    return HTML.page(title: "DSL", body: body)
  }

  static func json(_ result: (path: String, listing: DSLListing)?) -> String {
    guard let result else { return "{\n  \"archives\": []\n}\n" }
    return result.listing.json
  }
}
