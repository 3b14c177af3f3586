import SystemCalls

/// `rm -rf` for trees Loadsmith made itself (the store's staging, trash and orphans, a
/// publisher's temporaries, restore's scratch), working on raw name bytes relative
/// to directory descriptors: a name that is not UTF-8 is removed like any other (a `String` would
/// mangle it into a name that does not exist, and recovery would fail forever), and nothing is
/// followed through a symlink, even one swapped in while the removal runs.
public enum DirectoryTree {
  /// Removes `path` and everything below it; missing is fine. `path` itself is not followed if it
  /// is a symlink (the link is removed).
  public static func remove(_ path: [UInt8]) throws(SystemCallError) {
    var p = path
    while p.count > 1 && p.last == 0x2F { p.removeLast() }
    let (parent, name) = BytePath.split(p)
    guard !name.isEmpty, name != [0x2E], name != [0x2E, 0x2E] else {
      throw SystemCallError("remove", path: show(path), errno: Errno.invalid)
    }
    let dirfd: Int32
    do { dirfd = try Syscall.open(parent, [.readOnly, .directory]) } catch {
      if error.errno == Errno.noEntry { return }
      throw failure("open", parent, error)
    }
    defer { Syscall.closeQuietly(dirfd) }
    try removeEntry(name, in: dirfd, shown: p)
  }

  /// Removes the entry `name` of the directory open as `dirfd`. `shown` is its full path, for
  /// messages only.
  private static func removeEntry(_ name: [UInt8], in parent: Int32, shown: [UInt8]) throws(SystemCallError) {
    let st: FileStatus
    do { st = try Syscall.fstatat(parent, name) } catch {
      if error.errno == Errno.noEntry { return }
      throw failure("lstat", shown, error)
    }
    if st.fileType == .directory {
      let dir: DirectoryStream
      do {
        let fd = try Syscall.openat(parent, name, [.readOnly, .directory, .noFollow])
        dir = try DirectoryStream(descriptor: fd, shown: shown)
      } catch {
        if error.errno == Errno.noEntry { return }
        throw failure(error.call, shown, error)
      }
      let children: [[UInt8]]
      do { children = try dir.all() } catch { throw failure("readdir", shown, error) }
      for child in children {
        try removeEntry(child, in: dir.descriptor, shown: BytePath.join(shown, child))
      }
      do { try Syscall.unlinkat(parent, name, directory: true) } catch {
        if error.errno != Errno.noEntry { throw failure("rmdir", shown, error) }
      }
    } else {
      do { try Syscall.unlinkat(parent, name) } catch {
        if error.errno != Errno.noEntry { throw failure("unlink", shown, error) }
      }
      WorkProgress.advance(files: 1)  // prune's progress line counts the files it removes
    }
  }

  private static func failure(_ call: String, _ path: [UInt8], _ error: SystemCallError) -> SystemCallError {
    SystemCallError(call, path: show(path), errno: error.errno)
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

