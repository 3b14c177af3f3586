import SystemCalls
import Hashing
import TranscriptIO

/// Key files on disk: `NAME.key` (the private key, one line `NAME:BASE64`, mode 0600) and
/// `NAME.pub` (the public key, one line `NAME:BASE64`), and the trusted-keys lists that name the
/// public keys a DSL accepts.
package enum KeyFiles {
  /// Writes a new key pair into `directory`; refuses to overwrite either file.
  package static func generate(name: String, directory: String) throws(LibraryError) -> (key: String, pub: String) {
    let key: SigningKey
    do { key = try SigningKey.generate(name: name) } catch { throw LibraryError(.usage, error.description) }
    let keyPath = directory + "/" + name + ".key"
    let pubPath = directory + "/" + name + ".pub"
    for path in [keyPath, pubPath] where LibraryFiles.exists(path) {
      throw LibraryError(.usage, "\(path) already exists; a key is never overwritten (for a rotation, give the new key a new name, e.g. the next number)")
    }
    try writeNew(keyPath, key.line + "\n", permissions: 0o600)
    do {
      try writeNew(pubPath, key.publicKey.line + "\n", permissions: 0o644)
    } catch {
      try? Syscall.unlink(Array(keyPath.utf8))
      throw error
    }
    return (keyPath, pubPath)
  }

  /// Reads a private key file, refusing one that anyone but its owner can read or write.
  package static func loadSigningKey(_ path: String) throws(LibraryError) -> SigningKey {
    let text = try readKeyFile(path, what: "private key") { st throws(LibraryError) in
      if st.st_mode & 0o077 != 0 {
        throw LibraryError(.usage, "\(path): private key is accessible by others (mode \(String(st.st_mode & 0o777, radix: 8))); run chmod 600 \(path)")
      }
    }
    do { return try SigningKey(line: text) } catch { throw LibraryError(.usage, "\(path): \(error.description)") }
  }

  /// Reads a trusted-keys list: one `NAME:BASE64` per line; blank lines and `#` comments are
  /// skipped. A name given twice with different keys is refused (which one would be trusted?).
  package static func loadTrustedKeys(_ path: String) throws(LibraryError) -> [PublicKey] {
    let text = try readKeyFile(path, what: "trusted keys") { _ throws(LibraryError) in }
    var keys: [PublicKey] = []
    for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: " \t\r")
      if line.isEmpty || line.hasPrefix("#") { continue }
      let key: PublicKey
      do { key = try PublicKey(line: String(line)) } catch { throw LibraryError(.usage, "\(path):\(index + 1): \(error.description)") }
      if let other = keys.first(where: { $0.name == key.name }) {
        if other.raw != key.raw { throw LibraryError(.usage, "\(path):\(index + 1): key '\(key.name)' is listed twice with different keys") }
        continue
      }
      keys.append(key)
    }
    return keys
  }

  /// A small regular file's text; never blocks on a FIFO, never follows a symlink (``RegularFile``).
  private static func readKeyFile(_ path: String, what: String, check: (FileStatus) throws(LibraryError) -> Void) throws(LibraryError) -> String {
    let fd: Int32
    do { fd = try RegularFile.openForReading(path) } catch {
      throw LibraryError(.usage, "\(what) file \(error.detailed)")
    }
    defer { Syscall.closeQuietly(fd) }
    let st = try sys(path) { () throws(SystemCallError) in try Syscall.fstat(fd, path: path) }
    guard st.st_size <= 1 << 20 else { throw LibraryError(.usage, "\(path): \(what) file is larger than 1 MiB") }
    try check(st)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, Int(st.st_size)), alignment: 1)
    defer { buffer.deallocate() }
    let done = try sys(path) { () throws(SystemCallError) in
      try Syscall.readFully(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(st.st_size)]), path: path)
    }
    guard let text = String(validating: buffer[0..<done], as: UTF8.self) else {
      throw LibraryError(.usage, "\(path): \(what) file is not text")
    }
    return text
  }

  private static func writeNew(_ path: String, _ text: String, permissions: FileMode) throws(LibraryError) {
    let fd = try sys(path) { () throws(SystemCallError) in
      try Syscall.open(path, [.writeOnly, .create, .exclusive, .noFollow], mode: permissions)
    }
    do {
      try Syscall.fchmod(fd, permissions, path: path)  // the umask must not loosen or tighten it
      try Syscall.writeAll(fd, Array(text.utf8), path: path)
      try Syscall.fsync(fd, path: path)
      Syscall.closeQuietly(fd)
    } catch {
      Syscall.closeQuietly(fd)
      try? Syscall.unlink(Array(path.utf8))
      throw LibraryError(error, shown: path, call: "write")
    }
  }
}

extension Substring {
  fileprivate func trimmingCharacters(in set: String) -> Substring {
    var s = self
    while let c = s.first, set.contains(c) { s = s.dropFirst() }
    while let c = s.last, set.contains(c) { s = s.dropLast() }
    return s
  }
}
