/// Splitting a byte path, without touching the filesystem (the bytes are kept as given).
public enum BytePath {
  /// Everything before the last `/` (`/` for a name at the root, `.` when there is no `/`).
  public static func directory(of path: [UInt8]) -> [UInt8] {
    guard let slash = path.lastIndex(of: 0x2F) else { return [0x2E] }
    return slash == 0 ? [0x2F] : Array(path[..<slash])
  }

  /// Everything after the last `/` (all of `path` when there is none).
  public static func lastComponent(_ path: [UInt8]) -> [UInt8] {
    guard let slash = path.lastIndex(of: 0x2F) else { return path }
    return Array(path[(slash + 1)...])
  }
}
