#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs `body` until it stops failing with EINTR and turns -1 into ``ArchiveError/systemCall``.
/// The one place in Archive that reads `errno` after a call.
@inline(__always)
func retryingOnInterrupt<R: BinaryInteger>(
  _ call: String, _ path: String, _ body: () -> R
) throws(ArchiveError) -> R {
  while true {
    let result = body()
    if result != -1 { return result }
    let code = errno
    if code != EINTR { throw .systemCall(call: call, path: path, errno: code) }
  }
}

/// Writes all of `buffer` to `fd` (C `write`, looped over short writes and EINTR).
func writeAll(_ fd: CInt, _ buffer: UnsafeRawBufferPointer, path: String) throws(ArchiveError) {
  guard var base = buffer.baseAddress else { return }
  var left = buffer.count
  while left > 0 {
    let n = try retryingOnInterrupt("write", path) { write(fd, base, left) }
    if n == 0 { throw .systemCall(call: "write", path: path, errno: EIO) }
    base += n
    left -= n
  }
}

/// Reads up to `buffer.count` bytes, looping over EINTR but not over short reads;
/// returns 0 only at end of file (C `read`).
func readSome(_ fd: CInt, _ buffer: UnsafeMutableRawBufferPointer, path: String) throws(ArchiveError) -> Int {
  guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
  return try retryingOnInterrupt("read", path) { read(fd, base, buffer.count) }
}

/// Reads until `buffer` is full or end of file; returns the bytes read.
func readFully(_ fd: CInt, _ buffer: UnsafeMutableRawBufferPointer, path: String) throws(ArchiveError) -> Int {
  var total = 0
  while total < buffer.count {
    let n = try readSome(fd, UnsafeMutableRawBufferPointer(rebasing: buffer[total...]), path: path)
    if n == 0 { break }
    total += n
  }
  return total
}

/// A C string for a byte path, for calls that take `const char *`.
@inline(__always)
func withCPath<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) throws(ArchiveError) -> R) throws(ArchiveError) -> R {
  var zeroTerminated = path
  zeroTerminated.append(0)
  return try zeroTerminated.withUnsafeBufferPointer { (p) throws(ArchiveError) -> R in
    try p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { (c) throws(ArchiveError) -> R in try body(c) }
  }
}

/// A mutex and condition variable pair for the worker pools (pthread, no Foundation).
final class Monitor: @unchecked Sendable {
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let conditions: UnsafeMutablePointer<pthread_cond_t>
  private let conditionCount: Int

  init(conditions count: Int) {
    pthread_mutex_init(mutex, nil)
    conditionCount = count
    conditions = .allocate(capacity: count)
    for i in 0..<count { pthread_cond_init(conditions + i, nil) }
  }
  deinit {
    for i in 0..<conditionCount { pthread_cond_destroy(conditions + i) }
    pthread_mutex_destroy(mutex)
    conditions.deallocate()
    mutex.deallocate()
  }
  @inline(__always) func lock() { pthread_mutex_lock(mutex) }
  @inline(__always) func unlock() { pthread_mutex_unlock(mutex) }
  /// Waits on condition `index`; the mutex must be held.
  @inline(__always) func wait(_ index: Int) { pthread_cond_wait(conditions + index, mutex) }
  @inline(__always) func signal(_ index: Int) { pthread_cond_signal(conditions + index) }
  @inline(__always) func broadcast(_ index: Int) { pthread_cond_broadcast(conditions + index) }
}

/// Starts a joinable pthread running `body`.
func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
  final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
  let context = Unmanaged.passRetained(Box(body)).toOpaque()
  var thread = pthread_t()
  let rc = pthread_create(&thread, nil, { raw in
    let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
    box.body()
    return nil
  }, context)
  precondition(rc == 0, "pthread_create failed: \(rc)")
  return thread
}

/// `Array.withUnsafeBytes` keeps typed throws (the stdlib's `rethrows` loses them).
@inline(__always)
func withBytes<R>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> R) throws(ArchiveError) -> R {
  try array.withUnsafeBufferPointer { (p) throws(ArchiveError) -> R in try body(UnsafeRawBufferPointer(p)) }
}
