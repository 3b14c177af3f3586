import SystemCalls

/// What extraction restores besides names and data.
package struct ExtractOptions: Sendable {
  /// chown to the archived uid/gid (default: only when running as root).
  package var restoreOwnership: Bool
  package var restorePermissions: Bool
  package var restoreTimes: Bool

  package init(restoreOwnership: Bool = Syscall.effectiveUserID == 0, restorePermissions: Bool = true, restoreTimes: Bool = true) {
    self.restoreOwnership = restoreOwnership
    self.restorePermissions = restorePermissions
    self.restoreTimes = restoreTimes
  }
}

/// Checks a caller runs while entries are extracted (the DSL verifies every file this way
/// before a restored loadset becomes visible). Each may throw to stop the extraction.
package struct ExtractHooks {
  /// Before anything of `entry` is written.
  package var willExtract: ((TarEntry) throws(ArchiveError) -> Void)?
  /// Every chunk of a regular file's data, in order, as it is written.
  package var observeData: ((UnsafeRawBufferPointer) -> Void)?
  /// After `entry` (and all its data) is written.
  package var didExtract: ((TarEntry) throws(ArchiveError) -> Void)?

  package init(willExtract: ((TarEntry) throws(ArchiveError) -> Void)? = nil,
              observeData: ((UnsafeRawBufferPointer) -> Void)? = nil,
              didExtract: ((TarEntry) throws(ArchiveError) -> Void)? = nil) {
    self.willExtract = willExtract
    self.observeData = observeData
    self.didExtract = didExtract
  }
}

extension ArchiveReader {
  /// Extracts every remaining entry under the existing directory `root`, and returns how
  /// many entries were written (device nodes and FIFOs are skipped).
  ///
  /// Every entry passes ``PathSafety/check(_:)``. Parent directories are opened one
  /// component at a time with `O_NOFOLLOW`, so nothing is ever written through a symlink,
  /// and new files are created with `O_EXCL | O_NOFOLLOW` (an existing one is replaced).
  /// Directory modes and times are applied at the end, deepest first.
  package func extractAll(into root: [UInt8], options: ExtractOptions = ExtractOptions(),
                         hooks: ExtractHooks = ExtractHooks()) throws(ArchiveError) -> Int {
    let extractor = try Extractor(root: root, options: options)
    extractor.observeData = hooks.observeData
    defer { extractor.close() }
    var count = 0
    while let entry = try next() {
      try PathSafety.check(entry)
      try hooks.willExtract?(entry)
      if try extractor.extract(entry, from: self) { count += 1 }
      try hooks.didExtract?(entry)
    }
    try extractor.applyDirectoryMetadata()
    return count
  }
}

private final class Extractor {
  let rootFD: CInt
  let root: [UInt8]
  let options: ExtractOptions
  var cachedParent: [ArraySlice<UInt8>] = []
  var cachedParentFD: CInt = -1
  var directories: [(components: [ArraySlice<UInt8>], entry: TarEntry)] = []
  var observeData: ((UnsafeRawBufferPointer) -> Void)?

  init(root: [UInt8], options: ExtractOptions) throws(ArchiveError) {
    self.root = root
    self.options = options
    rootFD = try sys { () throws(SystemCallError) in try Syscall.open(root, [.readOnly, .directory]) }
  }

  func close() {
    if cachedParentFD >= 0 && cachedParentFD != rootFD { Syscall.closeQuietly(cachedParentFD) }
    Syscall.closeQuietly(rootFD)
  }

  /// Opens (creating as needed) the directory `components` below the root, never
  /// following a symlink. The last one opened is cached: entries come grouped by directory.
  func directoryFD(_ components: [ArraySlice<UInt8>]) throws(ArchiveError) -> CInt {
    if components.isEmpty { return rootFD }
    if cachedParentFD >= 0 && components == cachedParent { return cachedParentFD }
    var fd = rootFD
    var walked: [UInt8] = root
    for component in components {
      BytePath.append(component, to: &walked)
      let name = Array(component)
      let parent = fd
      let openChild = { () throws(SystemCallError) -> CInt in
        try Syscall.openat(parent, name, [.readOnly, .directory, .noFollow])
      }
      var opened = Result(catching: openChild)
      if case .failure(let error) = opened, error.errno == Errno.noEntry {
        _ = try? Syscall.mkdirat(fd, name, mode: 0o755)
        opened = Result(catching: openChild)
      }
      if fd != rootFD { Syscall.closeQuietly(fd) }
      switch opened {
      case .success(let next): fd = next
      case .failure(let error):
        let code = error.errno
        throw .systemCall(call: code == Errno.tooManyLinks || code == Errno.notDirectory ? "open (not a directory, or a symlink)" : "open",
                          path: displayPath(walked), errno: code)
      }
    }
    if cachedParentFD >= 0 && cachedParentFD != rootFD { Syscall.closeQuietly(cachedParentFD) }
    cachedParent = components
    cachedParentFD = fd
    return fd
  }

  /// Runs `create` and, if the name exists, removes it (not a directory) and retries once.
  func replacing<R>(_ parent: CInt, _ name: [UInt8], display: String, call: String,
                    _ create: () throws(SystemCallError) -> R) throws(ArchiveError) -> R {
    var result = Result(catching: create)
    if case .failure(let error) = result, error.errno == Errno.exists {
      do { try Syscall.unlinkat(parent, name) } catch { throw .systemCall(call: "unlink", path: display, errno: error.errno) }
      result = Result(catching: create)
    }
    switch result {
    case .success(let value): return value
    case .failure(let error): throw .systemCall(call: call, path: display, errno: error.errno)
    }
  }

  /// Writes one entry; false if its type is skipped.
  func extract(_ entry: TarEntry, from reader: ArchiveReader) throws(ArchiveError) -> Bool {
    let components = PathSafety.components(entry.path)
    let display = displayPath(entry.path)
    if components.isEmpty {  // the root itself ("./")
      if entry.kind == .directory { directories.append(([], entry)) }
      return entry.kind == .directory
    }
    let parent = try directoryFD(Array(components.dropLast()))
    let name = Array(components.last!)
    switch entry.kind {
    case .regular:
      let fd = try replacing(parent, name, display: display, call: "open") { () throws(SystemCallError) in
        try Syscall.openat(parent, name, [.writeOnly, .create, .exclusive, .noFollow], mode: 0o600)
      }
      defer { Syscall.closeQuietly(fd) }
      if let observeData {
        try reader.forEachDataChunk { (chunk) throws(ArchiveError) in
          observeData(chunk)
          try sys { () throws(SystemCallError) in try Syscall.writeAll(fd, chunk, path: display) }
        }
      } else {
        try reader.forEachDataChunk { (chunk) throws(ArchiveError) in try sys { () throws(SystemCallError) in try Syscall.writeAll(fd, chunk, path: display) } }
      }
      try restoreMetadata(fd, entry, display: display)
    case .directory:
      do { try Syscall.mkdirat(parent, name, mode: 0o700) } catch {
        if error.errno != Errno.exists { throw .systemCall(call: "mkdir", path: display, errno: error.errno) }
      }
      directories.append((components, entry))
    case .symbolicLink:
      try replacing(parent, name, display: display, call: "symlink") { () throws(SystemCallError) in
        try Syscall.symlinkat(entry.linkTarget, parent, name)
      }
      try setLinkMetadata(parent, name, entry, display: display)
    case .hardLink:
      let target = PathSafety.components(entry.linkTarget).joined(separator: [0x2F]).map { $0 }
      try replacing(parent, name, display: display, call: "link") { () throws(SystemCallError) in
        try Syscall.linkat(rootFD, target, parent, name)
      }
    case .other:
      return false
    }
    return true
  }

  private func setLinkMetadata(_ parent: CInt, _ name: [UInt8], _ entry: TarEntry, display: String) throws(ArchiveError) {
    let shown = Array(display.utf8)
    if options.restoreOwnership {
      try sys { () throws(SystemCallError) in try Syscall.lchownat(parent, name, uid: entry.uid, gid: entry.gid, shown: shown) }
    }
    if options.restoreTimes {
      let time = TimeSpec(tv_sec: Int(entry.mtime), tv_nsec: 0)
      try sys { () throws(SystemCallError) in try Syscall.utimensat(parent, name, access: time, modification: time, shown: shown) }
    }
  }

  /// Ownership, permissions and times of an open file or directory, as the options ask.
  private func restoreMetadata(_ fd: CInt, _ entry: TarEntry, display: String) throws(ArchiveError) {
    if options.restoreOwnership {
      try sys { () throws(SystemCallError) in try Syscall.fchown(fd, uid: entry.uid, gid: entry.gid, path: display) }
    }
    if options.restorePermissions {
      try sys { () throws(SystemCallError) in try Syscall.fchmod(fd, FileMode(entry.mode), path: display) }
    }
    if options.restoreTimes {
      let time = TimeSpec(tv_sec: Int(entry.mtime), tv_nsec: 0)
      try sys { () throws(SystemCallError) in try Syscall.futimens(fd, access: time, modification: time, path: display) }
    }
  }

  /// Sets directory ownership, modes and times, deepest first, once their contents exist.
  func applyDirectoryMetadata() throws(ArchiveError) {
    if cachedParentFD >= 0 && cachedParentFD != rootFD { Syscall.closeQuietly(cachedParentFD) }
    cachedParentFD = -1
    cachedParent = []
    for (components, entry) in directories.reversed() {
      let display = displayPath(entry.path)
      let fd: CInt
      if components.isEmpty { fd = rootFD } else {
        let parent = try directoryFD(Array(components.dropLast()))
        fd = try sys { () throws(SystemCallError) in
          try Syscall.openat(parent, Array(components.last!), [.readOnly, .directory, .noFollow], shown: Array(display.utf8))
        }
      }
      defer { if fd != rootFD { Syscall.closeQuietly(fd) } }
      try restoreMetadata(fd, entry, display: display)
    }
  }
}
