import SystemCalls

/// Writes a byte stream to a descriptor from a second thread, so that producing the bytes (a
/// merge) and copying them into the kernel overlap on two cores; for a regular file it also
/// starts the disk's writeback every few megabytes (`sync_file_range`), so the caller's final
/// `fsync` finds little left to write instead of the whole file.
///
///     let writer = BackgroundWriter(fd: fd, name: "out.T")
///     try writer.append(line)          // any number of times (copied; the caller keeps its bytes)
///     try writer.finish()              // everything written (not fsynced: the caller's fsync does that)
///
/// With `direct`, a regular file is written past the page cache (`O_DIRECT`): whole buffers go
/// straight to the device while the producer works, so the caller's final `fsync` finds nothing
/// left to write, and no page-cache page is allocated and copied into (on the benchmark machine
/// that copy cost more than the merge itself: 48% of lmerge's samples). The tail that is not
/// whole blocks goes through the cache; a file system that refuses `O_DIRECT` (fcntl or the
/// first write says EINVAL) is simply written through the cache. `LOADSMITH_DIRECT_WRITE=0`
/// turns it off.
///
/// Memory is fixed: `buffers` buffers of `bufferSize` bytes. The first write error is thrown by
/// the next ``append(_:)`` or by ``finish()``; nothing after it is written. Every writer must end
/// with ``finish()`` or, on an error path, ``stopQuietly()`` (a `defer`): the thread holds the
/// writer until then, and the caller may close the descriptor only after.
public final class BackgroundWriter: @unchecked Sendable {
  // @unchecked: the producer owns `current`/`count`; everything else is guarded by `monitor`.
  public let fd: Int32
  public let name: String
  private let bufferSize: Int
  @exclusivity(unchecked) private var current: UnsafeMutablePointer<UInt8>
  @exclusivity(unchecked) private var count = 0
  private let monitor = Monitor(conditions: 2)  // 0: a buffer was queued, 1: a buffer came back
  private var queued: [(UnsafeMutablePointer<UInt8>, Int)] = []
  private var spare: [UnsafeMutablePointer<UInt8>] = []
  private var closed = false
  private var failure: SystemCallError?
  private var thread: JoinableThread?
  private var finished = false
  /// Writes go past the page cache (see ``init``); only the writing thread changes it.
  @exclusivity(unchecked) private var direct = false
  /// For a positioned writer (`at:`), where the next write goes (`pwrite`); only the writing
  /// thread changes it. Nil: the descriptor's own offset (`write`).
  @exclusivity(unchecked) private var position: Int64?

  /// Direct writes are whole blocks of this size from buffers aligned to it.
  static let block = 4096

  /// `LOADSMITH_DIRECT_WRITE=0` turns direct writes off (the switch capture's stored files use).
  static let directAllowed: Bool = Syscall.environment("LOADSMITH_DIRECT_WRITE") != "0"

  /// Writeback is started after every `writebackStep` bytes, and the range `writebackLag` bytes
  /// behind is waited for, so at most about that much stays dirty for the final `fsync`.
  static let writebackStep: Int64 = 8 << 20
  static let writebackLag: Int64 = 64 << 20

  /// - Parameter startsWriteback: start the disk's writeback as the file grows (regular files).
  ///   Off by default: on the benchmark machine (ext4 on virtio) the writeback it starts is done
  ///   in this process and cost more CPU and wall time than the final fsync it saves (lsort 1.25x
  ///   became 1.71x), so callers ask for it only where that was measured to pay.
  /// - Parameter direct: write a regular file with `O_DIRECT` (see above). The descriptor's
  ///   offset must be a multiple of 4096 (a new file); it is checked, and the cache used if not.
  /// - Parameter offset: write with `pwrite` from this offset on, leaving the descriptor's offset
  ///   alone, so that several writers can fill disjoint ranges of one file at once. Such a writer
  ///   turns `O_DIRECT` on (with `direct`) but leaves turning it off to the caller, after every
  ///   writer of the file has finished.
  public init(fd: Int32, name: String, bufferSize: Int = 4 << 20, buffers: Int = 3, startsWriteback: Bool = false,
              direct: Bool = false, at offset: Int64? = nil) {
    self.fd = fd
    self.name = name
    self.bufferSize = bufferSize
    current = BackgroundWriter.allocateBuffer(bufferSize)
    for _ in 1 ..< max(2, buffers) { spare.append(BackgroundWriter.allocateBuffer(bufferSize)) }
    let isRegular = ((try? Syscall.fstat(fd, path: name))?.fileType ?? .unknown) == .regular
    let writesBack = startsWriteback && isRegular
    if direct && BackgroundWriter.directAllowed && isRegular && bufferSize % BackgroundWriter.block == 0
      && (offset ?? Syscall.currentOffset(fd)).map({ $0 % Int64(BackgroundWriter.block) == 0 }) == true {
      self.direct = Syscall.setDirectIO(fd, true)
    }
    position = offset
    thread = JoinableThread.mustStart { [self] in drain(writesBack: writesBack) }
  }

  deinit {
    stop()
    current.deallocate()
    for b in spare { b.deallocate() }
  }

  /// A buffer aligned for direct writes.
  private static func allocateBuffer(_ size: Int) -> UnsafeMutablePointer<UInt8> {
    UnsafeMutableRawPointer.allocate(byteCount: size, alignment: block).bindMemory(to: UInt8.self, capacity: size)
  }

  /// True while the descriptor is in `O_DIRECT` mode. ``finish()`` and ``stopQuietly()`` leave it
  /// buffered for whoever writes next, so this reads false after them.
  var writesDirectly: Bool { direct }

  /// Copies `bytes` to the stream.
  @inline(__always)
  public func append(_ bytes: UnsafeRawBufferPointer) throws(SystemCallError) {
    let n = bytes.count
    if count + n <= bufferSize, let src = bytes.baseAddress {
      UnsafeMutableRawPointer(current + count).copyMemory(from: src, byteCount: n)
      count += n
      return
    }
    try appendSlowly(bytes)
  }

  /// Appends one byte (a line's LF).
  @inline(__always)
  public func append(_ byte: UInt8) throws(SystemCallError) {
    if count == bufferSize { try handOff() }
    current[count] = byte
    count += 1
  }

  private func appendSlowly(_ bytes: UnsafeRawBufferPointer) throws(SystemCallError) {
    var rest = bytes
    while !rest.isEmpty {
      if count == bufferSize { try handOff() }
      let n = min(rest.count, bufferSize - count)
      UnsafeMutableRawPointer(current + count).copyMemory(from: rest.baseAddress!, byteCount: n)
      count += n
      rest = UnsafeRawBufferPointer(rebasing: rest[n...])
    }
  }

  /// Queues the current buffer for the writing thread and takes a free one (waiting for it).
  private func handOff() throws(SystemCallError) {
    monitor.lock()
    queued.append((current, count))
    monitor.signal(0)
    while spare.isEmpty { monitor.wait(1) }
    current = spare.removeLast()
    let failed = failure
    monitor.unlock()
    count = 0
    if let failed { throw failed }
  }

  /// Writes what is left and waits for the writing thread; throws the first write error.
  public func finish() throws(SystemCallError) {
    precondition(!finished, "BackgroundWriter finished twice")
    if count > 0 { try handOff() }
    stop()
    if let failure { throw failure }
  }

  /// Writes everything but the last partial block (the bytes past the last multiple of 4096
  /// appended), which it returns for the caller to write: with `O_DIRECT`, the block that two
  /// positioned writers share must be written once, whole or through the cache, after both.
  public func finishHoldingTail() throws(SystemCallError) -> [UInt8] {
    let whole = count / BackgroundWriter.block * BackgroundWriter.block
    let tail = Array(UnsafeBufferPointer(start: current + whole, count: count - whole))
    count = whole
    try finish()
    return tail
  }

  /// Ends the writing thread after the queued buffers without reporting errors (for error paths,
  /// where the caller abandons the file; a no-op after ``finish()``).
  public func stopQuietly() { stop() }

  private func stop() {
    guard !finished else { return }
    finished = true
    monitor.lock()
    closed = true
    monitor.signal(0)
    monitor.unlock()
    thread?.join()
    thread = nil
    // Whoever writes to the descriptor next (an OutputBuffer) may write partial blocks.
    if direct {
      direct = false
      if position == nil { _ = Syscall.setDirectIO(fd, false) }
    }
  }

  /// One `write` (or `pwrite` at ``position``); may be short.
  private func writeOnce(_ bytes: UnsafeRawBufferPointer) throws(SystemCallError) -> Int {
    guard let at = position else { return try Syscall.write(fd, bytes, path: name) }
    let n = try Syscall.pwrite(fd, bytes, at: at, path: name)
    position = at + Int64(n)
    return n
  }

  /// Writes one buffer: directly while it is whole blocks, else (the tail, or a file system
  /// that refuses) through the cache from then on. Every direct write leaves the offset on a
  /// block boundary, so the next one may be direct too.
  private func write(_ bytes: UnsafeRawBufferPointer) throws(SystemCallError) {
    var done = 0
    if direct && bytes.count % BackgroundWriter.block == 0 {
      while done < bytes.count {
        let w: Int
        do { w = try writeOnce(UnsafeRawBufferPointer(rebasing: bytes[done...])) } catch {
          if error.errno == Errno.invalid { break }  // O_DIRECT refused here: write through the cache
          throw error
        }
        done += w
        if done % BackgroundWriter.block != 0 { break }  // a short write: finish through the cache
      }
      if done == bytes.count { return }
    }
    if direct {
      direct = false
      _ = Syscall.setDirectIO(fd, false)
    }
    while done < bytes.count {
      let w = try writeOnce(UnsafeRawBufferPointer(rebasing: bytes[done...]))
      if w == 0 { throw SystemCallError("write", path: name, errno: Errno.io) }
      done += w
    }
  }

  /// The writing thread: writes each queued buffer in turn and returns it.
  private func drain(writesBack: Bool) {
    var writesBack = writesBack
    var written: Int64 = 0, started: Int64 = 0, settled: Int64 = 0
    while true {
      monitor.lock()
      while queued.isEmpty && !closed { monitor.wait(0) }
      if queued.isEmpty {
        monitor.unlock()
        return
      }
      let (buffer, n) = queued.removeFirst()
      let skip = failure != nil
      monitor.unlock()
      var error: SystemCallError?
      if !skip {
        do throws(SystemCallError) {
          try write(UnsafeRawBufferPointer(start: buffer, count: n))
        } catch let e {
          error = e
        }
        written += Int64(n)
        if writesBack && written - started >= BackgroundWriter.writebackStep {
          writesBack = Syscall.startWriteback(fd, offset: started, length: written - started)
          started = written
          if writesBack && started - settled > BackgroundWriter.writebackLag {
            let upTo = started - BackgroundWriter.writebackLag
            writesBack = Syscall.startWriteback(fd, offset: settled, length: upTo - settled, waitForOlder: true)
            settled = upTo
          }
        }
      }
      monitor.lock()
      if let error, failure == nil { failure = error }
      spare.append(buffer)
      monitor.signal(1)
      monitor.unlock()
    }
  }
}
