import Store

/// Names from a URL, checked before anything is looked up: only what the store's own parsers
/// accept gets through, so no URL can name a file. Malformed is 400; well formed but absent
/// (or an unset pointer) is 404.
enum References {
  /// Longer than any name the scheme allows (FAMILY-COMPONENT-TYPE-OS-VERSION-nodeN.T).
  static let maxLength = 200

  static func checkText(_ text: String, _ what: String) throws(ServeError) {
    if text.isEmpty { throw .badRequest("\(what): empty") }
    if text.utf8.count > maxLength { throw .badRequest("\(what): longer than \(maxLength) bytes") }
    if text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0x2F || $0 == 0x25 || $0 == 0x5C }) {
      throw .badRequest("\(what) '\(printable(text))': a reference has no '/', '\\', '%' or control characters")
    }
  }

  /// A series (`was-apache-bin-rhel5`, `was-apache-cfg`).
  static func series(_ text: String) throws(ServeError) -> LoadsetSeries {
    try checkText(text, "series")
    do { return try LoadsetSeries(parsing: text) } catch { throw .badRequest("series \(error.description)") }
  }

  /// A reference as `loadsmith diff` takes it (a store reference, never a file): `SERIES@VERSION`,
  /// `SERIES@VERSION-nodeN`, `SERIES@NNNN`, or a loadset or pointer name. Returns the immutable
  /// loadset it names now (a pointer is read once).
  static func resolve(_ text: String, in store: LoadsetStore) throws(ServeError) -> LoadsetName {
    try checkText(text, "reference")
    do {
      if let at = text.firstIndex(of: "@") {
        let series = try LoadsetSeries(parsing: String(text[..<at]))
        var rest = String(text[text.index(after: at)...])
        if rest.hasSuffix(".T") { rest.removeLast(2) }
        _ = try LoadsetName(parsing: "\(series)-\(rest)")
      } else {
        _ = try LoadsetName(parsing: text)
      }
    } catch {
      throw .badRequest("reference \(error.description)")
    }
    do { return try store.loadsetName(forReference: text) } catch { throw .notFound(error.message) }
  }

  static func printable(_ s: String) -> String {
    String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
  }
}
