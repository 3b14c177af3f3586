/// The one place paths are split and joined, on bytes kept exactly as given: no normalization
/// (radmind's messages keep `//` and a trailing `/`), no filesystem access, no round trip
/// through `String` for `[UInt8]` paths.
package enum BytePath {
  static let slash: UInt8 = 0x2F

  /// Split at the last `/`: the directory is `/` for a name at the root and `.` when there is
  /// no `/`; the name is what follows (empty for a path ending in `/`).
  package static func split(_ path: [UInt8]) -> (directory: [UInt8], name: [UInt8]) {
    guard let at = path.lastIndex(of: slash) else { return ([0x2E], path) }
    return (at == 0 ? [slash] : Array(path[..<at]), Array(path[(at + 1)...]))
  }

  /// Everything before the last `/` (`/` for a name at the root, `.` when there is no `/`).
  package static func directory(of path: [UInt8]) -> [UInt8] { split(path).directory }

  /// Everything after the last `/` (all of `path` when there is none).
  package static func lastComponent(_ path: [UInt8]) -> [UInt8] { split(path).name }

  /// The directories a `mkdir -p` of `path`'s parent has to make: everything before the last `/`,
  /// or nil when there is no `/` or only the leading one (`a/b` and `./b` give `a` and `.`;
  /// `b` and `/b` give nil).
  package static func parent(_ path: [UInt8]) -> [UInt8]? {
    guard let at = path.lastIndex(of: slash), at > 0 else { return nil }
    return Array(path[..<at])
  }

  /// `directory/name`, exactly: nothing added or dropped, so a `directory` ending in `/` shows
  /// `//` as radmind shows it.
  package static func join(_ directory: [UInt8], _ name: some Collection<UInt8>) -> [UInt8] {
    var out = directory
    append(name, to: &out)
    return out
  }

  /// ``join(_:_:)`` in place: a walk that goes one component deeper at a time.
  package static func append(_ name: some Collection<UInt8>, to path: inout [UInt8]) {
    path.reserveCapacity(path.count + 1 + name.count)
    path.append(slash)
    path += name
  }

  /// `name` inside `directory` without a doubled `/`: under `/` it is `/name`, under `d/` it is
  /// `d/name`, and with no directory (`[]`) it is `name` itself.
  package static func child(_ name: [UInt8], of directory: [UInt8]) -> [UInt8] {
    directory.isEmpty || directory.last == slash ? directory + name : join(directory, name)
  }

  /// ``split(_:)`` for a path kept as text (a store or library path given on the command line).
  package static func split(_ path: String) -> (directory: String, name: String) {
    let (directory, name) = split(Array(path.utf8))
    return (String(decoding: directory, as: UTF8.self), String(decoding: name, as: UTF8.self))
  }
}
