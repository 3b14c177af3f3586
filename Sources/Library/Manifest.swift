import Store
import TranscriptIO

/// What the DSL records beside each archive (`NAME-VERSION.manifest.json`): enough to check the
/// archive without the store it came from.
///
///     {"format": "loadsmith-dsl-manifest 1", "loadset": "was-apache-bin-rhel5-001.001.T", ...}
///
/// Written and read by hand (no Foundation): a flat JSON object of strings and integers.
package struct Manifest: Sendable, Equatable {
  package static let format = "loadsmith-dsl-manifest 1"
  /// Largest manifest file read (real ones are under 1 KB): a huge file is refused, not loaded.
  static let maxFileBytes = 1 << 20

  /// The loadset's transcript name, `NAME-VERSION.T`.
  package var loadset: String
  /// bin, neg or cfg.
  package var type: String
  /// The archive's file name, beside the manifest.
  package var archive: String
  /// sha256 of the whole `.tar.gz`, lowercase hex.
  package var archiveSHA256: String
  package var archiveBytes: Int64
  /// The loadset's digest (radmind name, e.g. sha1): files and transcript are checked with it.
  package var digestAlgorithm: String
  /// The transcript's checksum in `digestAlgorithm`, base64 (as the store's meta records it).
  package var transcriptDigest: String
  /// Stored files (`f` lines) and the sum of their archived sizes.
  package var files: Int
  package var bytes: Int64
  /// The store the loadset was archived from (absolute path).
  package var sourceStore: String
  /// ISO-8601 UTC.
  package var created: String
  /// `user@host` that archived it.
  package var who: String
  /// The key that signed the manifest (its detached `.sig` beside it), when signed.
  package var signingKey: String?
  /// The build this one replaced as `current` when it was archived (bin/neg), if any.
  package var parent: String?
  /// The store's history head when it was archived: a signed manifest vouches for the history before it.
  package var historyHead: String?

  package init(loadset: String, type: String, archive: String, archiveSHA256: String, archiveBytes: Int64,
              digestAlgorithm: String, transcriptDigest: String, files: Int, bytes: Int64,
              sourceStore: String, created: String, who: String) {
    self.loadset = loadset
    self.type = type
    self.archive = archive
    self.archiveSHA256 = archiveSHA256
    self.archiveBytes = archiveBytes
    self.digestAlgorithm = digestAlgorithm
    self.transcriptDigest = transcriptDigest
    self.files = files
    self.bytes = bytes
    self.sourceStore = sourceStore
    self.created = created
    self.who = who
  }

  var fields: [(String, JSONValue)] {
    [("format", .string(Manifest.format)), ("loadset", .string(loadset)), ("type", .string(type)),
     ("archive", .string(archive)), ("archive_sha256", .string(archiveSHA256)),
     ("archive_bytes", .integer(archiveBytes)), ("digest_algorithm", .string(digestAlgorithm)),
     ("transcript_digest", .string(transcriptDigest)), ("files", .integer(Int64(files))),
     ("bytes", .integer(bytes)), ("source_store", .string(sourceStore)), ("created", .string(created)),
     ("who", .string(who))]
      + [("signing_key", signingKey), ("parent", parent), ("history_head", historyHead)].compactMap { key, value in
        value.map { (key, JSONValue.string($0)) }
      }
  }

  /// Pretty JSON, one field per line, ending in a newline.
  package var json: String {
    "{\n" + fields.map { "  " + JSON.quote($0.0) + ": " + $0.1.json }.joined(separator: ",\n") + "\n}\n"
  }

  /// Parses a manifest; a missing field or a foreign format is a ``LibraryError/Code/corrupt``.
  package init(json text: String, path: String) throws(LibraryError) {
    let object: [String: JSONValue]
    do { object = try JSON.parseFlatObject(Array(text.utf8)) } catch {
      throw LibraryError(.corrupt, "\(path): not a DSL manifest (\(error.reason))")
    }
    func string(_ key: String) throws(LibraryError) -> String {
      guard case .string(let s)? = object[key] else { throw LibraryError(.corrupt, "\(path): manifest has no string \"\(key)\"") }
      return s
    }
    func integer(_ key: String) throws(LibraryError) -> Int64 {
      guard case .integer(let n)? = object[key] else { throw LibraryError(.corrupt, "\(path): manifest has no integer \"\(key)\"") }
      return n
    }
    guard try string("format") == Manifest.format else {
      throw LibraryError(.corrupt, "\(path): unknown manifest format '\(try string("format"))'")
    }
    self.init(loadset: try string("loadset"), type: try string("type"), archive: try string("archive"),
              archiveSHA256: try string("archive_sha256"), archiveBytes: try integer("archive_bytes"),
              digestAlgorithm: try string("digest_algorithm"), transcriptDigest: try string("transcript_digest"),
              files: Int(try integer("files")), bytes: try integer("bytes"), sourceStore: try string("source_store"),
              created: try string("created"), who: try string("who"))
    func optional(_ key: String) throws(LibraryError) -> String? {
      guard let value = object[key] else { return nil }
      guard case .string(let s) = value else { throw LibraryError(.corrupt, "\(path): manifest's \"\(key)\" is not a string") }
      return s
    }
    signingKey = try optional("signing_key")
    parent = try optional("parent")
    historyHead = try optional("history_head")
  }
}

/// The two kinds of value a manifest holds.
enum JSONValue: Sendable, Equatable {
  case string(String)
  case integer(Int64)

  var json: String {
    switch self {
    case .string(let s): return JSON.quote(s)
    case .integer(let n): return String(n)
    }
  }
}

enum JSON {
  struct ParseError: Error { var reason: String }

  /// A JSON string literal (the store's one quoter).
  static func quote(_ s: String) -> String { JSONText.quote(s) }

  /// Parses `{"key": "string" | integer, ...}`; nested values are refused.
  static func parseFlatObject(_ bytes: [UInt8]) throws(ParseError) -> [String: JSONValue] {
    var i = 0
    func skipSpace() { while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 } }
    func expect(_ c: UInt8) throws(ParseError) {
      skipSpace()
      guard i < bytes.count, bytes[i] == c else {
        throw ParseError(reason: "expected '\(Character(Unicode.Scalar(c)))' at byte \(i)")
      }
      i += 1
    }
    func parseString() throws(ParseError) -> String {
      try expect(0x22)
      var out: [UInt8] = []
      while i < bytes.count {
        let c = bytes[i]
        i += 1
        if c == 0x22 { return String(decoding: out, as: UTF8.self) }
        if c != 0x5C { out.append(c); continue }
        guard i < bytes.count else { break }
        let e = bytes[i]
        i += 1
        switch e {
        case 0x6E: out.append(0x0A)
        case 0x74: out.append(0x09)
        case 0x72: out.append(0x0D)
        case 0x62: out.append(0x08)
        case 0x66: out.append(0x0C)
        case 0x75:
          guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16),
                let scalar = Unicode.Scalar(v) else { throw ParseError(reason: "bad \\u escape at byte \(i)") }
          out.append(contentsOf: Array(String(Character(scalar)).utf8))
          i += 4
        default: out.append(e)
        }
      }
      throw ParseError(reason: "unterminated string")
    }
    var object: [String: JSONValue] = [:]
    try expect(0x7B)
    skipSpace()
    if i < bytes.count, bytes[i] == 0x7D { i += 1; return object }
    while true {
      let key = try parseString()
      try expect(0x3A)
      skipSpace()
      guard i < bytes.count else { throw ParseError(reason: "unexpected end") }
      if bytes[i] == 0x22 {
        object[key] = .string(try parseString())
      } else {
        let start = i
        if bytes[i] == 0x2D { i += 1 }
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
        guard let n = Int64(String(decoding: bytes[start..<i], as: UTF8.self)) else {
          throw ParseError(reason: "expected a string or an integer for \"\(key)\" at byte \(start)")
        }
        object[key] = .integer(n)
      }
      skipSpace()
      guard i < bytes.count else { throw ParseError(reason: "unexpected end") }
      if bytes[i] == 0x2C { i += 1; continue }
      if bytes[i] == 0x7D { i += 1; break }
      throw ParseError(reason: "expected ',' or '}' at byte \(i)")
    }
    skipSpace()
    if i != bytes.count { throw ParseError(reason: "trailing bytes after the object") }
    return object
  }
}
