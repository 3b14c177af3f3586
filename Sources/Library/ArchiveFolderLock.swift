import SystemCalls

/// The lock an archive holds on its DSL folder (`FAMILY/COMPONENT/TYPE`: a `flock` on the
/// directory itself, which leaves no file behind and which the kernel drops when the process
/// dies) while it writes there. Whoever holds it knows
/// no live process is writing a temporary in the folder, so temporaries found then were left by
/// a crashed archive: taking the lock removes them. The lock is the DSL's own, not a store's,
/// because several stores may archive into one DSL.
final class ArchiveFolderLock {
  private var fd: CInt

  /// Waits for the folder's lock (creating the folder), then removes leftover temporaries.
  init(folder: String) throws(LibraryError) {
    try LibraryFiles.makeDirectories(folder)
    let path = folder
    let opened = try sys(path) { () throws(SystemCallError) in try Syscall.open(path, [.readOnly, .directory]) }
    fd = opened
    do { try Syscall.flock(opened, exclusive: true, path: path) } catch {
      Syscall.closeQuietly(opened)
      throw LibraryError(error, shown: path)
    }
    for name in ArchiveFolderLock.temporaries(in: folder) { try? Syscall.unlink(Array((folder + "/" + name).utf8)) }
  }

  deinit { release() }

  func release() {
    if fd >= 0 { Syscall.closeQuietly(fd) }
    fd = -1
  }

  /// Names in `folder` that only an archive's atomic writes create: `.X.tar.gz.tmp.XXXXXX` and
  /// `.X.manifest.json.tmp.XXXXXX` (mkstemp's six letters or digits).
  static func temporaries(in folder: String) -> [String] {
    ((try? LibraryFiles.list(folder)) ?? []).filter(isTemporary).sorted()
  }

  static func isTemporary(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    let marker = Array(".tmp.".utf8)
    guard bytes.count > 1 + marker.count + 6, bytes[0] == 0x2E else { return false }
    let suffix = bytes[(bytes.count - 6)...]
    guard suffix.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }),
          Array(bytes[(bytes.count - 6 - marker.count)..<(bytes.count - 6)]) == marker else { return false }
    let target = String(decoding: bytes[1..<(bytes.count - 6 - marker.count)], as: UTF8.self)
    return (target.hasSuffix(".tar.gz") || target.hasSuffix(".manifest.json")) && !target.hasPrefix(".")
  }

  /// True when an archive holds the folder's lock right now (its temporaries are live).
  static func isHeld(in folder: String) -> Bool {
    guard let fd = try? Syscall.open(folder, [.readOnly, .directory]) else { return false }
    defer { Syscall.closeQuietly(fd) }
    return (try? Syscall.flock(fd, exclusive: true, nonBlocking: true, path: folder)) == nil
  }
}

extension DSL {
  /// Temporaries that crashed archives left (full paths), in every folder no archive is writing
  /// to right now; the next archive into the folder removes them.
  package func leftoverTemporaries() throws(LibraryError) -> [String] {
    var out: [String] = []
    for family in try LibraryFiles.list(root) where family != "protected" && !family.hasPrefix(".") {
      for component in try LibraryFiles.list(root + "/" + family) where !component.hasPrefix(".") {
        for type in try LibraryFiles.list("\(root)/\(family)/\(component)") where !type.hasPrefix(".") {
          let folder = "\(root)/\(family)/\(component)/\(type)"
          let found = ArchiveFolderLock.temporaries(in: folder)
          if found.isEmpty || ArchiveFolderLock.isHeld(in: folder) { continue }
          // (Re-listed: one that a finishing archive renamed meanwhile was not left behind.)
          out += found.filter { LibraryFiles.exists(folder + "/" + $0) }.map { folder + "/" + $0 }
        }
      }
    }
    return out
  }
}
