/// The one rule for a transcript path that names a place inside a tree the store owns
/// (`file/T/<path>`, a staging node, a restored archive): a path that could lead outside that
/// tree, or that the kernel would read differently from the transcript, is refused.
///
/// Allowed: `/` or `.` alone, and `/` or `./` followed by components separated by single slashes.
/// Refused: a NUL byte (the kernel would cut the path there), an empty component (`//`, a
/// trailing `/`), and `.` or `..` as a component. Paths are decoded bytes; nothing assumes UTF-8.
///
///     StorePathRule.problem(in: Array("/../etc/passwd".utf8))  // "has a '..' component"
///     StorePathRule.problem(in: Array("/usr/local/apache".utf8)) // nil
public enum StorePathRule {
  /// Why `path` may not name a stored object, or nil when it may.
  public static func problem(in path: [UInt8]) -> String? {
    problem(in: path[...])
  }

  public static func problem(in path: ArraySlice<UInt8>) -> String? {
    problem(inBytes: path)
  }

  /// The same rule on an encoded path token: radmind's escapes never produce `/`, `.` or NUL, so
  /// the encoded and decoded forms break the rule in the same way (no decoding, no allocation).
  public static func problem(in path: UnsafeRawBufferPointer) -> String? {
    problem(inBytes: path)
  }

  static func problem<Bytes: RandomAccessCollection>(inBytes path: Bytes) -> String?
  where Bytes.Element == UInt8, Bytes.Index == Int {
    if path.isEmpty { return "is empty" }
    if path.contains(0) { return "contains a NUL byte" }
    var rest = path[...]
    if rest.first == 0x2F {
      rest = rest.dropFirst()
      if rest.isEmpty { return nil }  // "/"
    } else if rest.first == 0x2E, rest.count == 1 || rest[rest.startIndex + 1] == 0x2F {
      rest = rest.dropFirst()
      if rest.isEmpty { return nil }  // "."
      rest = rest.dropFirst()  // "./"
      if rest.isEmpty { return "has an empty component" }
    }
    var start = rest.startIndex
    var index = rest.startIndex
    while true {
      if index == rest.endIndex || rest[index] == 0x2F {
        let length = index - start
        if length == 0 { return "has an empty component" }
        if length == 1 && rest[start] == 0x2E { return "has a '.' component" }
        if length == 2 && rest[start] == 0x2E && rest[start + 1] == 0x2E { return "has a '..' component" }
        if index == rest.endIndex { return nil }
        start = index + 1
      }
      index += 1
    }
  }
}

extension Entry {
  /// ``StorePathRule`` on this entry's path and, for an `h` line, its target (a symlink's target
  /// is free text): `path /../etc/passwd has a '..' component`, or nil.
  public var storePathProblem: String? {
    if let why = StorePathRule.problem(in: path) {
      return "path \(String(decoding: PathCodec.encode(path), as: UTF8.self)) \(why)"
    }
    if kind == .hardLink, let why = StorePathRule.problem(in: target) {
      return "hard link target \(String(decoding: PathCodec.encode(target), as: UTF8.self)) \(why)"
    }
    return nil
  }
}
