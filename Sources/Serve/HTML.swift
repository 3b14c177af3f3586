import TranscriptIO

/// HTML text for the pages: escaping, links and the shared layout. Every page is one
/// self-contained document (inline CSS, no script, no asset from outside the binary) that reads
/// on a phone (narrow tables scroll sideways) and prints (navigation and forms hidden).
enum HTML {
  static func escape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for c in s.unicodeScalars {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.unicodeScalars.append(c)
      }
    }
    return out
  }

  /// A path or other bytes from a transcript: valid UTF-8 as text, any other byte as `\xNN`.
  static func escape(bytes: [UInt8]) -> String {
    if let s = String(validating: bytes, as: UTF8.self) { return escape(s) }
    var out = ""
    var i = 0
    while i < bytes.count {
      let b = bytes[i]
      let len = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0
      if len > 0, i + len <= bytes.count, let s = String(validating: bytes[i ..< i + len], as: UTF8.self) {
        out += escape(s)
        i += len
      } else {
        out += "\\x" + hex2(b)
        i += 1
      }
    }
    return out
  }

  static func hex2(_ b: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String(digits[Int(b >> 4)]) + String(digits[Int(b & 15)])
  }

  /// Percent-encodes everything but unreserved characters, for a query value or path segment.
  static func urlComponent(_ s: String) -> String { urlComponent(bytes: Array(s.utf8)) }

  static func urlComponent(bytes: [UInt8]) -> String {
    var out = ""
    for b in bytes {
      switch b {
      case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0x7E, 0x40:
        out.unicodeScalars.append(Unicode.Scalar(b))
      default:
        out += "%" + hex2(b).uppercased()
      }
    }
    return out
  }

  /// `href` from a path and query pairs (nil or empty values left out).
  static func href(_ path: String, _ query: [(String, String?)] = []) -> String {
    let pairs = query.compactMap { k, v in v.flatMap { $0.isEmpty ? nil : k + "=" + urlComponent($0) } }
    return escape(pairs.isEmpty ? path : path + "?" + pairs.joined(separator: "&"))
  }

  static func link(_ path: String, _ text: String, _ query: [(String, String?)] = []) -> String {
    "<a href=\"\(href(path, query))\">\(escape(text))</a>"
  }

  static func loadsetLink(_ name: String?) -> String {
    guard let name else { return "<span class=muted>(unset)</span>" }
    return link("/loadset/" + urlComponent(name), name)
  }

  static func size(_ bytes: Int64?) -> String {
    guard let bytes else { return "?" }
    return ByteSize.text(bytes)
  }

  static let style = """
    :root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#5b636d;--line:#d6dbe1;--accent:#0b5cad;--add:#e7f6ea;--del:#fdecec;--chg:#fff6dc}
    @media (prefers-color-scheme:dark){:root{--fg:#e6e9ed;--bg:#15181c;--muted:#9aa4ae;--line:#333a42;--accent:#79b3ff;--add:#17321f;--del:#3a1c1c;--chg:#3a3217}}
    *{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
    header{border-bottom:1px solid var(--line);padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:baseline}
    header strong{font-size:1.05rem;margin-right:.5rem}nav a{margin-right:.9rem}
    main{padding:0 1rem 2rem;max-width:72rem}a{color:var(--accent)}h1{font-size:1.4rem;margin:1rem 0 .5rem;word-break:break-all}
    h2{font-size:1.1rem;margin:1.4rem 0 .4rem}.muted{color:var(--muted)}.err{border:1px solid #c33;padding:.6rem .8rem;border-radius:4px}
    .scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}table{border-collapse:collapse;font-size:.9rem;min-width:100%}
    th,td{border-bottom:1px solid var(--line);padding:.25rem .5rem;text-align:left;vertical-align:top;white-space:nowrap}
    td.path{white-space:normal;word-break:break-all;min-width:14rem}td.num,th.num{text-align:right}code,td.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}
    tr.added{background:var(--add)}tr.removed{background:var(--del)}tr.changed,tr.type{background:var(--chg)}
    form{display:flex;flex-wrap:wrap;gap:.4rem .8rem;align-items:end;margin:.6rem 0}label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted)}
    input{font:inherit;padding:.2rem .35rem;min-width:10rem}button{font:inherit;padding:.25rem .8rem}
    .pager{margin:.8rem 0;display:flex;gap:1rem;flex-wrap:wrap}.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:.8rem}
    .card{border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem}.card h3{margin:0 0 .3rem;font-size:1rem;word-break:break-all}
    dl{display:grid;grid-template-columns:auto 1fr;gap:.1rem .8rem;margin:0;font-size:.9rem}dt{color:var(--muted)}dd{margin:0;word-break:break-all}
    svg{max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif;fill:var(--fg)}
    @media print{header nav,form,.pager{display:none}body{font-size:11pt}a{color:inherit;text-decoration:none}.scroll{overflow:visible}td.path{word-break:break-all}tr{break-inside:avoid}}
    """

  /// The whole document around `body`.
  static func page(title: String, body: String) -> String {
    """
    <!DOCTYPE html>
    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>\(escape(title)) · loadsmith</title><style>\(style)</style></head>
    <body><header><strong>loadsmith</strong><nav><a href="/">Overview</a><a href="/history">History</a><a href="/diff">Diff</a><a href="/dsl">DSL</a></nav></header>
    <main>
    \(body)
    </main></body></html>

    """
  }
}
