import SystemCalls

/// The user and host a record names, looked up once per process: `getpwuid` reads
/// `/etc/passwd` on every call, which a run writing a thousand history records (adopt) paid a
/// thousand times.
enum ProcessIdentity {
  static let user = Syscall.userName
  static let host = Syscall.hostName
}
