#if canImport(Glibc)
import Glibc
#endif

/// Calls the later modules needed that the first ones did not: ownership of a name, `dup`, the
/// process's identity.
extension Syscall {
  /// `fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW)`: the owner of a name itself (a
  /// symlink, not its target). The error names the call `lchown`.
  package static func lchownat(_ dirfd: Int32, _ name: [UInt8], uid: UInt32, gid: UInt32,
                              shown: [UInt8]? = nil) throws(SystemCallError) {
    _ = try withCString(name) { (c) throws(SystemCallError) in
      try retrying("lchown", shown ?? name) { Glibc.fchownat(dirfd, c, uid, gid, AT_SYMLINK_NOFOLLOW) }
    }
  }

  /// `dup(2)`: a second descriptor for the same open file (close-on-exec).
  package static func dup(_ fd: Int32, path: [UInt8]) throws(SystemCallError) -> Int32 {
    try retrying("dup", path) { Glibc.fcntl(fd, F_DUPFD_CLOEXEC, 0) }
  }

  /// The effective user id (`geteuid`).
  package static var effectiveUserID: UInt32 { Glibc.geteuid() }
  /// The real user id (`getuid`).
  package static var userID: UInt32 { Glibc.getuid() }
  /// The real group id (`getgid`).
  package static var groupID: UInt32 { Glibc.getgid() }
  /// The process id (`getpid`).
  public static var processID: Int32 { Glibc.getpid() }
}

extension Syscall {
  /// Sets the process's file creation mask; returns the old one.
  @discardableResult
  package static func setUmask(_ mask: FileMode) -> FileMode { Glibc.umask(mask) }

  /// C `strtol(text, NULL, base)` as radmind's option parsing calls it (base 0: octal with a
  /// leading 0, hex with 0x, trailing junk ignored); nil when it sets errno (overflow).
  package static func strtol(_ text: String, base: Int32) -> Int? {
    Glibc.errno = 0
    let value = Glibc.strtol(text, nil, base)
    return Glibc.errno == 0 ? value : nil
  }
}

extension Syscall {
  /// `pwrite(2)` of all of `bytes` at `offset` (looping over short writes and EINTR).
  package static func pwriteAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int64, path: [UInt8]) throws(SystemCallError) {
    let result: Result<Void, SystemCallError> = bytes.withUnsafeBytes { raw in
      var done = 0
      while done < raw.count {
        let n: Int
        do throws(SystemCallError) {
          n = try retrying("write", path) { Glibc.pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(offset) + off_t(done)) }
        } catch { return .failure(error) }
        if n == 0 { return .failure(SystemCallError("write", pathBytes: path, errno: EIO)) }
        done += n
      }
      return .success(())
    }
    try result.get()
  }

  /// `access(path, R_OK/W_OK/X_OK)`: throws why the caller may not read, write or search `path`.
  package static func checkAccess(_ path: [UInt8], read: Bool = false, write: Bool = false,
                                 execute: Bool = false) throws(SystemCallError) {
    let mode = (read ? R_OK : 0) | (write ? W_OK : 0) | (execute ? X_OK : 0)
    _ = try withCString(path) { (c) throws(SystemCallError) in try retrying("access", path) { Glibc.access(c, mode) } }
  }

  /// What ``checkAccess(_:read:write:)`` would throw, or nil when access is granted.
  package static func accessProblem(_ path: [UInt8], read: Bool = false, write: Bool = false,
                                   execute: Bool = false) -> SystemCallError? {
    do { try checkAccess(path, read: read, write: write, execute: execute) } catch { return error }
    return nil
  }

  /// `realpath(3)`: the canonical absolute path, symlinks resolved.
  package static func realpath(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] {
    try withCString(path) { (c) throws(SystemCallError) -> [UInt8] in
      guard let resolved = Glibc.realpath(c, nil) else { throw SystemCallError("realpath", pathBytes: path) }
      defer { free(resolved) }
      return Array(UnsafeRawBufferPointer(start: resolved, count: strlen(resolved)))
    }
  }

  /// `getcwd(3)`, or nil when the current directory cannot be named.
  package static func workingDirectory() -> [UInt8]? {
    guard let cwd = Glibc.getcwd(nil, 0) else { return nil }
    defer { free(cwd) }
    return Array(UnsafeRawBufferPointer(start: cwd, count: strlen(cwd)))
  }
}

extension FileStatus {
  /// (st_dev, st_ino): the file's identity, whatever its names.
  package var identity: (UInt64, UInt64) { (UInt64(st_dev), UInt64(st_ino)) }
}

/// Questions about a name that a failure answers with "no" (`lstat`, never following the name).
extension Syscall {
  package static func exists(_ path: [UInt8]) -> Bool { lstatIfPresent(path) != nil }

  package static func isDirectory(_ path: [UInt8]) -> Bool { lstatIfPresent(path)?.fileType == .directory }

  /// (st_dev, st_ino) of `path`, or nil when it cannot be read.
  package static func identity(_ path: [UInt8]) -> (UInt64, UInt64)? { lstatIfPresent(path)?.identity }

  /// True when `path` is a directory that can be read and holds no name but `.` and `..`.
  package static func isEmptyDirectory(_ path: [UInt8]) -> Bool {
    guard let stream = try? DirectoryStream(path) else { return false }
    return (try? stream.next()) == .some(nil)
  }
}

extension Syscall {
  /// `exit(3)`: ends the process after flushing C stdio and running atexit handlers.
  package static func exit(_ status: Int32) -> Never { Glibc.exit(status) }

  /// `execv(3)`: replaces the process with `path` run with `arguments` (argv[0] included).
  /// Returns only on failure, with the error.
  package static func execv(_ path: String, _ arguments: [String]) -> SystemCallError {
    var cargs: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for p in cargs { free(p) } }
    _ = Glibc.execv(path, &cargs)
    return SystemCallError("execv", path: path)
  }
}

extension Syscall {
  /// `pread(2)` into all of `buffer` at `offset` (retrying EINTR): the bytes read, 0 at end of
  /// file, or -1 on an error (for readers that report a failed read in their own words).
  package static func pread(_ fd: Int32, into buffer: inout [UInt8], at offset: Int64) -> Int {
    let count = buffer.count
    return buffer.withUnsafeMutableBytes { raw in
      (try? retrying("read", []) { Glibc.pread(fd, raw.baseAddress!, count, off_t(offset)) }) ?? -1
    }
  }
}

extension Syscall {
  /// Linux `unshare(CLONE_FS)`: from here on the calling thread has its own working directory
  /// (a `chdir` in it leaves the process's, and other threads', as they are).
  package static func unshareFilesystemContext() throws(SystemCallError) {
    _ = try retrying("unshare(CLONE_FS)", []) { loadsmith_unshare(0x0000_0200) }
  }

  /// `chdir(2)`.
  package static func chdir(_ path: String) throws(SystemCallError) {
    _ = try retrying("chdir", path) { Glibc.chdir(path) }
  }
}

/// Linux `unshare(2)`; Glibc declares it only under _GNU_SOURCE.
@_silgen_name("unshare")
func loadsmith_unshare(_ flags: Int32) -> Int32
