import SystemCalls

/// A stream of bytes lent in chunks: each chunk stays valid until the next call.
protocol ChunkSource: AnyObject {
  /// The next chunk, or an empty buffer at the end of the stream.
  func nextChunk() throws(ArchiveError) -> UnsafeRawBufferPointer
}

/// Something that fills a caller's buffer and returns 0 at the end (``GzipDecoder``, a file).
protocol BufferFiller: AnyObject, Sendable {
  func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int
}

extension GzipDecoder: BufferFiller {
  /// Fills the whole buffer unless the stream ends.
  func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int { try decode(into: buffer) }
}

/// Reads an uncompressed stream straight from a descriptor.
final class FileFiller: BufferFiller, @unchecked Sendable {
  let fd: CInt
  let path: String
  init(fd: CInt, path: String) { self.fd = fd; self.path = path }
  func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
    try sys { () throws(SystemCallError) in try Syscall.readFully(fd, into: buffer, path: path) }
  }
}

/// Pulls chunks from a filler on the calling thread.
final class DirectSource: ChunkSource {
  private let filler: BufferFiller
  private let buffer: UnsafeMutableRawBufferPointer
  init(_ filler: BufferFiller, chunkSize: Int = 1 << 20) {
    self.filler = filler
    buffer = .allocate(byteCount: chunkSize, alignment: 64)
  }
  deinit { buffer.deallocate() }
  func nextChunk() throws(ArchiveError) -> UnsafeRawBufferPointer {
    let n = try filler.fill(buffer)
    return UnsafeRawBufferPointer(rebasing: buffer[0..<n])
  }
}

/// Runs a filler on a background thread, `slots` chunks ahead of the consumer, so that
/// inflating overlaps with parsing and writing files (as `gzip -d | tar -x` does).
final class PrefetchingSource: ChunkSource {
  private final class Shared: @unchecked Sendable {
    let monitor = Monitor(conditions: 2)  // 0: a slot was freed, 1: a slot was filled
    let buffers: [UnsafeMutableRawBufferPointer]
    var lengths: [Int]
    var filled: [Bool]  // guarded by monitor
    var error: ArchiveError?  // set with the slot that ends the stream
    var cancelled = false
    init(slots: Int, chunkSize: Int) {
      buffers = (0..<slots).map { _ in .allocate(byteCount: chunkSize, alignment: 64) }
      lengths = Array(repeating: 0, count: slots)
      filled = Array(repeating: false, count: slots)
    }
    deinit { for b in buffers { b.deallocate() } }
  }

  private let shared: Shared
  private var thread: JoinableThread?
  private var consumeIndex = 0
  private var holding = false  // the consumer holds slot consumeIndex - 1
  private var ended = false

  init(_ filler: BufferFiller, slots: Int = 4, chunkSize: Int = 1 << 20) {
    let shared = Shared(slots: slots, chunkSize: chunkSize)
    self.shared = shared
    thread = JoinableThread.mustStart {
      var index = 0
      while true {
        shared.monitor.lock()
        while shared.filled[index] && !shared.cancelled { shared.monitor.wait(0) }
        let cancelled = shared.cancelled
        shared.monitor.unlock()
        if cancelled { return }
        var n = 0
        var failure: ArchiveError?
        do throws(ArchiveError) { n = try filler.fill(shared.buffers[index]) } catch { failure = error }
        shared.monitor.lock()
        shared.lengths[index] = n
        shared.error = failure
        shared.filled[index] = true
        shared.monitor.signal(1)
        shared.monitor.unlock()
        if n == 0 || failure != nil { return }
        index = (index + 1) % shared.buffers.count
      }
    }
  }

  deinit {
    shared.monitor.lock()
    shared.cancelled = true
    shared.monitor.broadcast(0)
    shared.monitor.unlock()
    thread?.join()
  }

  func nextChunk() throws(ArchiveError) -> UnsafeRawBufferPointer {
    if ended { return UnsafeRawBufferPointer(start: nil, count: 0) }
    let slots = shared.buffers.count
    shared.monitor.lock()
    if holding {
      shared.filled[(consumeIndex + slots - 1) % slots] = false
      shared.monitor.signal(0)
      holding = false
    }
    while !shared.filled[consumeIndex] { shared.monitor.wait(1) }
    let n = shared.lengths[consumeIndex]
    let error = n == 0 ? shared.error : nil
    shared.monitor.unlock()
    let buffer = shared.buffers[consumeIndex]
    consumeIndex = (consumeIndex + 1) % slots
    holding = true
    if let error { ended = true; throw error }
    if n == 0 { ended = true }
    return UnsafeRawBufferPointer(rebasing: buffer[0..<n])
  }
}
