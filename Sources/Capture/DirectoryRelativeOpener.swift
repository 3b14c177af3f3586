import SystemCalls

/// Opens files for hashing relative to a descriptor of their directory, kept from one file to
/// the next: the kernel then looks up one name per file instead of every component of its full
/// path (path lookups were about 2.5% of fsdiff -c's samples on /usr). Files come to a hasher
/// mostly directory by directory, but a hasher alternates between the walk's directory and those
/// read ahead, so a few directories are kept, the most recently used first.
///
/// The result is what `open(path)` gives, or its error:
/// - the directory is opened by its full path (`O_PATH | O_DIRECTORY`), as the open of the file
///   would have resolved it, when the first of its files is needed;
/// - the file's name is then opened within that directory, never resolved through its path
///   again (nothing above it is followed a second time);
/// - when either step fails, the file is opened by its full path instead, so that every error
///   (and its errno) is exactly the one `open(path)` reports.
/// Not thread-safe: one per hashing thread.
final class DirectoryRelativeOpener {
  /// The cached directories' path bytes (no NUL) and descriptors, most recently used first.
  private var directories: [(path: [UInt8], fd: Int32)] = []
  /// Directories kept open at most.
  static let capacity = 4
  /// Opens relative to a cached directory, and directories opened (counted for tests).
  private(set) var relativeOpens = 0
  private(set) var directoryOpens = 0

  deinit {
    for d in directories { Syscall.closeQuietly(d.fd) }
  }

  /// `open(path, flags)`, through the directory's descriptor when possible.
  func open(_ path: UnsafePointer<CChar>, _ flags: OpenFlags) throws(SystemCallError) -> Int32 {
    if let fd = relativeOpen(path, flags) { return fd }
    return try Syscall.open(cString: path, flags, shown: [])
  }

  /// The descriptor opened relative to the file's directory, or nil (open by full path).
  private func relativeOpen(_ path: UnsafePointer<CChar>, _ flags: OpenFlags) -> Int32? {
    let bytes = UnsafeRawPointer(path).assumingMemoryBound(to: UInt8.self)
    var length = 0
    var lastSlash = -1
    while bytes[length] != 0 {
      if bytes[length] == 0x2F { lastSlash = length }
      length += 1
    }
    // No directory part, or no name after the last slash: nothing to gain.
    guard lastSlash >= 0, lastSlash + 1 < length else { return nil }
    let directoryLength = lastSlash == 0 ? 1 : lastSlash  // "/name": the root
    let directoryFD: Int32
    if let i = directories.firstIndex(where: { holds($0.path, bytes, directoryLength) }) {
      directoryFD = directories[i].fd
      if i > 0 { directories.insert(directories.remove(at: i), at: 0) }
    } else {
      var d = [UInt8](UnsafeBufferPointer(start: bytes, count: directoryLength))
      d.append(0)
      let fd = d.withUnsafeBufferPointer { b in
        b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { c in
          try? Syscall.open(cString: c, [.readOnly, .directory, .pathOnly], shown: [])
        }
      }
      guard let fd else { return nil }
      directoryOpens += 1
      d.removeLast()
      if directories.count == DirectoryRelativeOpener.capacity { Syscall.closeQuietly(directories.removeLast().fd) }
      directories.insert((d, fd), at: 0)
      directoryFD = fd
    }
    guard let fd = try? Syscall.openat(directoryFD, cName: path + lastSlash + 1, flags, shown: []) else { return nil }
    relativeOpens += 1
    return fd
  }

  /// Whether `directory` is `bytes[0..<count]`.
  private func holds(_ directory: [UInt8], _ bytes: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    guard directory.count == count else { return false }
    return directory.withUnsafeBufferPointer { d in
      var i = count - 1
      while i >= 0 {  // from the end: sibling directories share their prefix
        if d[i] != bytes[i] { return false }
        i -= 1
      }
      return true
    }
  }
}
