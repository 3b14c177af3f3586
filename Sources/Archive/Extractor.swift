#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What extraction restores besides names and data.
public struct ExtractOptions: Sendable {
  /// chown to the archived uid/gid (default: only when running as root).
  public var restoreOwnership: Bool
  public var restorePermissions: Bool
  public var restoreTimes: Bool

  public init(restoreOwnership: Bool = geteuid() == 0, restorePermissions: Bool = true, restoreTimes: Bool = true) {
    self.restoreOwnership = restoreOwnership
    self.restorePermissions = restorePermissions
    self.restoreTimes = restoreTimes
  }
}

/// Checks a caller runs while entries are extracted (the DSL verifies every file this way
/// before a restored loadset becomes visible). Each may throw to stop the extraction.
public struct ExtractHooks {
  /// Before anything of `entry` is written.
  public var willExtract: ((TarEntry) throws(ArchiveError) -> Void)?
  /// Every chunk of a regular file's data, in order, as it is written.
  public var observeData: ((UnsafeRawBufferPointer) -> Void)?
  /// After `entry` (and all its data) is written.
  public var didExtract: ((TarEntry) throws(ArchiveError) -> Void)?

  public init(willExtract: ((TarEntry) throws(ArchiveError) -> Void)? = nil,
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
  public func extractAll(into root: [UInt8], options: ExtractOptions = ExtractOptions(),
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
    rootFD = try withCPath(root) { (p) throws(ArchiveError) -> CInt in
      try retryingOnInterrupt("open", displayPath(root)) { open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    }
  }

  func close() {
    if cachedParentFD >= 0 && cachedParentFD != rootFD { Glibc.close(cachedParentFD) }
    Glibc.close(rootFD)
  }

  /// Opens (creating as needed) the directory `components` below the root, never
  /// following a symlink. The last one opened is cached: entries come grouped by directory.
  func directoryFD(_ components: [ArraySlice<UInt8>]) throws(ArchiveError) -> CInt {
    if components.isEmpty { return rootFD }
    if cachedParentFD >= 0 && components == cachedParent { return cachedParentFD }
    var fd = rootFD
    var walked: [UInt8] = root
    for component in components {
      walked += [0x2F] + component
      let name = Array(component)
      var next = try withCPath(name) { p in openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
      if next < 0 && errno == ENOENT {
        _ = try withCPath(name) { p in mkdirat(fd, p, 0o755) }
        next = try withCPath(name) { p in openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
      }
      if next < 0 {
        let code = errno
        if fd != rootFD { Glibc.close(fd) }
        throw .systemCall(call: code == ELOOP || code == ENOTDIR ? "open (not a directory, or a symlink)" : "open",
                          path: displayPath(walked), errno: code)
      }
      if fd != rootFD { Glibc.close(fd) }
      fd = next
    }
    if cachedParentFD >= 0 && cachedParentFD != rootFD { Glibc.close(cachedParentFD) }
    cachedParent = components
    cachedParentFD = fd
    return fd
  }

  /// Runs `create` and, if the name exists, removes it (not a directory) and retries once.
  func replacing(_ parent: CInt, _ name: [UInt8], display: String, call: String,
                 _ create: (UnsafePointer<CChar>) -> CInt) throws(ArchiveError) -> CInt {
    try withCPath(name) { (p) throws(ArchiveError) -> CInt in
      var result = create(p)
      if result < 0 && errno == EEXIST {
        if unlinkat(parent, p, 0) != 0 { throw .systemCall(call: "unlink", path: display, errno: errno) }
        result = create(p)
      }
      if result < 0 { throw .systemCall(call: call, path: display, errno: errno) }
      return result
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
      let fd = try replacing(parent, name, display: display, call: "open") {
        openat(parent, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
      }
      defer { Glibc.close(fd) }
      if let observeData {
        try reader.forEachDataChunk { (chunk) throws(ArchiveError) in
          observeData(chunk)
          try writeAll(fd, chunk, path: display)
        }
      } else {
        try reader.forEachDataChunk { (chunk) throws(ArchiveError) in try writeAll(fd, chunk, path: display) }
      }
      if options.restoreOwnership {
        _ = try retryingOnInterrupt("fchown", display) { fchown(fd, entry.uid, entry.gid) }
      }
      if options.restorePermissions {
        _ = try retryingOnInterrupt("fchmod", display) { fchmod(fd, mode_t(entry.mode)) }
      }
      if options.restoreTimes {
        var times = [timespec(tv_sec: Int(entry.mtime), tv_nsec: 0), timespec(tv_sec: Int(entry.mtime), tv_nsec: 0)]
        _ = try retryingOnInterrupt("futimens", display) { futimens(fd, &times) }
      }
    case .directory:
      let made = try withCPath(name) { p in mkdirat(parent, p, 0o700) }
      if made != 0 && errno != EEXIST { throw .systemCall(call: "mkdir", path: display, errno: errno) }
      directories.append((components, entry))
    case .symbolicLink:
      _ = try withCPath(entry.linkTarget) { (target) throws(ArchiveError) -> CInt in
        try replacing(parent, name, display: display, call: "symlink") { symlinkat(target, parent, $0) }
      }
      try setLinkMetadata(parent, name, entry, display: display)
    case .hardLink:
      let target = PathSafety.components(entry.linkTarget).joined(separator: [0x2F]).map { $0 }
      _ = try withCPath(target) { (from) throws(ArchiveError) -> CInt in
        try replacing(parent, name, display: display, call: "link") { linkat(rootFD, from, parent, $0, 0) }
      }
    case .other:
      return false
    }
    return true
  }

  private func setLinkMetadata(_ parent: CInt, _ name: [UInt8], _ entry: TarEntry, display: String) throws(ArchiveError) {
    try withCPath(name) { (p) throws(ArchiveError) in
      if options.restoreOwnership {
        _ = try retryingOnInterrupt("lchown", display) { fchownat(parent, p, entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) }
      }
      if options.restoreTimes {
        var times = [timespec(tv_sec: Int(entry.mtime), tv_nsec: 0), timespec(tv_sec: Int(entry.mtime), tv_nsec: 0)]
        _ = try retryingOnInterrupt("utimensat", display) { utimensat(parent, p, &times, AT_SYMLINK_NOFOLLOW) }
      }
    }
  }

  /// Sets directory ownership, modes and times, deepest first, once their contents exist.
  func applyDirectoryMetadata() throws(ArchiveError) {
    if cachedParentFD >= 0 && cachedParentFD != rootFD { Glibc.close(cachedParentFD) }
    cachedParentFD = -1
    cachedParent = []
    for (components, entry) in directories.reversed() {
      let display = displayPath(entry.path)
      let fd: CInt
      if components.isEmpty { fd = rootFD } else {
        let parent = try directoryFD(Array(components.dropLast()))
        fd = try withCPath(Array(components.last!)) { (p) throws(ArchiveError) -> CInt in
          try retryingOnInterrupt("open", display) { openat(parent, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        }
      }
      defer { if fd != rootFD { Glibc.close(fd) } }
      if options.restoreOwnership {
        _ = try retryingOnInterrupt("fchown", display) { fchown(fd, entry.uid, entry.gid) }
      }
      if options.restorePermissions {
        _ = try retryingOnInterrupt("fchmod", display) { fchmod(fd, mode_t(entry.mode)) }
      }
      if options.restoreTimes {
        var times = [timespec(tv_sec: Int(entry.mtime), tv_nsec: 0), timespec(tv_sec: Int(entry.mtime), tv_nsec: 0)]
        _ = try retryingOnInterrupt("futimens", display) { futimens(fd, &times) }
      }
    }
  }
}
