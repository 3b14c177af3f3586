#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `rm -rf` for trees Loadsmith made itself (the store's staging, trash and orphans, a
/// publisher's temporaries, restore's scratch), working on raw name bytes relative
/// to directory descriptors: a name that is not UTF-8 is removed like any other (a `String` would
/// mangle it into a name that does not exist, and recovery would fail forever), and nothing is
/// followed through a symlink, even one swapped in while the removal runs.
public enum DirectoryTree {
  /// Removes `path` and everything below it; missing is fine. `path` itself is not followed if it
  /// is a symlink (the link is removed).
  public static func remove(_ path: [UInt8]) throws(SystemError) {
    var p = path
    while p.count > 1 && p.last == 0x2F { p.removeLast() }
    let parent: [UInt8], name: [UInt8]
    if let slash = p.lastIndex(of: 0x2F) {
      parent = slash == 0 ? [0x2F] : Array(p[..<slash])
      name = Array(p[(slash + 1)...])
    } else {
      parent = [0x2E]
      name = p
    }
    guard !name.isEmpty, name != [0x2E], name != [0x2E, 0x2E] else {
      throw SystemError("remove", path: show(path), errno: EINVAL)
    }
    let dirfd = withCPath(parent) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    if dirfd < 0 {
      if errno == ENOENT { return }
      throw failure("open", parent)
    }
    defer { close(dirfd) }
    try removeEntry(name, in: dirfd, shown: p)
  }

  /// Removes the entry `name` of the directory open as `dirfd`. `shown` is its full path, for
  /// messages only.
  private static func removeEntry(_ name: [UInt8], in parent: Int32, shown: [UInt8]) throws(SystemError) {
    var st = stat()
    if withCPath(name, { fstatat(parent, $0, &st, AT_SYMLINK_NOFOLLOW) }) != 0 {
      if errno == ENOENT { return }
      throw failure("lstat", shown)
    }
    if (st.st_mode & S_IFMT) == S_IFDIR {
      let fd = withCPath(name) { openat(parent, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
      if fd < 0 {
        if errno == ENOENT { return }
        throw failure("open", shown)
      }
      // fdopendir takes ownership of fd; closedir closes it.
      guard let dir = fdopendir(fd) else { close(fd); throw failure("fdopendir", shown) }
      defer { closedir(dir) }
      for child in try names(dir, shown: shown) {
        try removeEntry(child, in: dirfd(dir), shown: shown + [0x2F] + child)
      }
      if withCPath(name, { unlinkat(parent, $0, AT_REMOVEDIR) }) != 0 && errno != ENOENT {
        throw failure("rmdir", shown)
      }
    } else if withCPath(name, { unlinkat(parent, $0, 0) }) != 0 && errno != ENOENT {
      throw failure("unlink", shown)
    } else {
      WorkProgress.advance(files: 1)  // prune's progress line counts the files it removes
    }
  }

  /// Every name in `dir` (not `.` or `..`) as the bytes `readdir` gave.
  private static func names(_ dir: OpaquePointer, shown: [UInt8]) throws(SystemError) -> [[UInt8]] {
    var out: [[UInt8]] = []
    errno = 0
    while let ent = readdir(dir) {
      let name: [UInt8] = withUnsafeBytes(of: ent.pointee.d_name) { raw in
        let len = strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        return Array(raw[0..<len])
      }
      if name != [0x2E] && name != [0x2E, 0x2E] { out.append(name) }
      errno = 0
    }
    if errno != 0 { throw failure("readdir", shown) }
    return out
  }

  private static func failure(_ call: String, _ path: [UInt8]) -> SystemError {
    SystemError(call, path: show(path))
  }

  private static func withCPath<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
    var z = bytes
    z.append(0)
    return z.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) } }
  }

  /// A path for a message: bytes that are not UTF-8 shown as `\xNN`, so the message names the
  /// real file.
  public static func show(_ path: [UInt8]) -> String {
    if let s = String(validating: path, as: UTF8.self) { return s }
    var out = ""
    var i = 0
    while i < path.count {
      // Copy the longest valid UTF-8 run, escape one byte otherwise.
      var j = i + 1
      var best = -1
      while j <= min(path.count, i + 4) {
        if String(validating: path[i..<j], as: UTF8.self) != nil { best = j }
        j += 1
      }
      if best > 0 {
        out += String(decoding: path[i..<best], as: UTF8.self)
        i = best
      } else {
        let hex = Array("0123456789abcdef")
        out += "\\x" + String(hex[Int(path[i] >> 4)]) + String(hex[Int(path[i] & 15)])
        i += 1
      }
    }
    return out
  }
}

