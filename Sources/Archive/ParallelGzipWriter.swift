import SystemCalls
import CZlib

/// A sink that compresses its stream into ONE gzip member on several threads (like pigz).
///
/// The stream is cut into blocks of `blockSize` bytes. Each block is raw-deflated by a
/// worker with the previous block's last 32 KiB as its dictionary, so matches reach back
/// across block boundaries and the ratio stays close to single-stream gzip. Every block
/// but the last ends with `Z_SYNC_FLUSH` (byte aligned, no final bit), the last with
/// `Z_FINISH`, so the concatenation is one valid deflate stream. Block CRCs are merged
/// with `crc32_combine`. The calling thread fills blocks (reading files straight into
/// them) and writes finished blocks in order; at most `slots` blocks are in memory.
final class ParallelGzipWriter: ByteSink {
  private let fd: CInt
  private let path: String
  private let pool: DeflatePool
  private var fillSequence = 0  // block being filled
  private var writeSequence = 0  // next block to write out
  private var crc: UInt32 = 0
  private var totalLength: UInt64 = 0
  private var current: DeflateBlock
  private var finished = false

  /// - Parameters:
  ///   - level: zlib level 0...9 (6 is gzip's default).
  ///   - threads: compression threads (at least 1).
  ///   - blockSize: bytes per block; at least 64 KiB.
  init(fd: CInt, path: String = "", level: Int = 6, threads: Int = 2, blockSize: Int = 256 << 10) throws(ArchiveError) {
    precondition((0...9).contains(level), "gzip level must be 0...9")
    self.fd = fd
    self.path = path
    let size = max(blockSize, 64 << 10)
    pool = DeflatePool(level: CInt(level), threads: max(threads, 1), slots: max(threads, 1) * 2 + 2, blockSize: size)
    current = pool.blocks[0]
    current.reset()
    // Header: magic, CM=8 (deflate), no flags, MTIME=0, XFL=0, OS=3 (Unix).
    let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]
    try sys { () throws(SystemCallError) in try Syscall.writeAll(fd, header, path: path) }
  }

  deinit { pool.shutdown() }

  func fill(limit: Int, _ body: (UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int) throws(ArchiveError) -> Int {
    if finished { throw .writerClosed }
    if current.length == pool.blockSize { try submitCurrent(isLast: false) }
    let count = min(limit, pool.blockSize - current.length)
    let space = UnsafeMutableRawBufferPointer(start: current.input + current.length, count: count)
    let n = try body(space)
    current.length += n
    return n
  }

  func finish() throws(ArchiveError) {
    if finished { throw .writerClosed }
    try submitCurrent(isLast: true)
    finished = true
    try writeBlocks(through: fillSequence - 1, waiting: true)
    var trailer = [UInt8](repeating: 0, count: 8)
    for i in 0..<4 {
      trailer[i] = UInt8(truncatingIfNeeded: crc >> (8 * i))
      trailer[4 + i] = UInt8(truncatingIfNeeded: UInt32(truncatingIfNeeded: totalLength) >> (8 * i))
    }
    try sys { () throws(SystemCallError) in try Syscall.writeAll(fd, trailer, path: path) }
    pool.shutdown()
  }

  /// Hands the filled block to the workers and takes the next slot, writing out (and if
  /// need be waiting for) the oldest block when all slots are in flight.
  private func submitCurrent(isLast: Bool) throws(ArchiveError) {
    let block = current
    if fillSequence > 0 {
      // Dictionary: the last 32 KiB of the previous block's input. That slot is not reused
      // before this one is, so its input is still intact.
      let previous = pool.block(for: fillSequence - 1)
      let n = min(previous.length, 32 << 10)
      block.dictionary.copyMemory(from: previous.input + (previous.length - n), byteCount: n)
      block.dictionaryLength = n
    } else {
      block.dictionaryLength = 0
    }
    block.isLast = isLast
    pool.submit(block)
    fillSequence += 1
    if isLast { return }
    // Opportunistically write what is done; wait only when every slot is busy.
    try writeBlocks(through: fillSequence - 1, waiting: false)
    if fillSequence - writeSequence >= pool.blocks.count {
      try writeBlocks(through: writeSequence, waiting: true)
    }
    current = pool.block(for: fillSequence)
    current.reset()
  }

  private func writeBlocks(through last: Int, waiting: Bool) throws(ArchiveError) {
    while writeSequence <= last {
      let block = pool.block(for: writeSequence)
      if !pool.awaitDone(block, waiting: waiting) { return }
      if let error = block.error { throw error }
      try sys { () throws(SystemCallError) in try Syscall.writeAll(fd, UnsafeRawBufferPointer(start: block.output, count: block.outputLength), path: path) }
      crc = crc == 0 && totalLength == 0
        ? block.crc
        : UInt32(crc32_combine(uLong(crc), uLong(block.crc), off_t(block.length)))
      totalLength &+= UInt64(block.length)
      writeSequence += 1
    }
  }
}

/// One block's buffers; owned by the writer thread except while a worker compresses it.
final class DeflateBlock: @unchecked Sendable {
  let input: UnsafeMutableRawPointer
  var length = 0
  let dictionary: UnsafeMutableRawPointer
  var dictionaryLength = 0
  var output: UnsafeMutableRawPointer
  var outputCapacity: Int
  var outputLength = 0
  var crc: UInt32 = 0
  var isLast = false
  var done = false  // guarded by the pool's monitor
  var error: ArchiveError?

  init(blockSize: Int) {
    input = .allocate(byteCount: blockSize, alignment: 64)
    dictionary = .allocate(byteCount: 32 << 10, alignment: 64)
    outputCapacity = blockSize + blockSize / 8 + 1024
    output = .allocate(byteCount: outputCapacity, alignment: 64)
  }
  deinit {
    input.deallocate()
    dictionary.deallocate()
    output.deallocate()
  }
  func reset() {
    length = 0
    outputLength = 0
    isLast = false
    done = false
    error = nil
  }

  /// Raw-deflates `input` into `output` with `stream` (reset here), and computes the CRC.
  func compress(_ stream: inout z_stream) {
    var rc = deflateReset(&stream)
    if rc == Z_OK && dictionaryLength > 0 {
      rc = deflateSetDictionary(&stream, dictionary.assumingMemoryBound(to: Bytef.self), uInt(dictionaryLength))
    }
    if rc != Z_OK { error = .zlib(call: "deflateSetDictionary", code: rc, message: zlibMessage(stream)); return }
    stream.next_in = input.assumingMemoryBound(to: Bytef.self)
    stream.avail_in = uInt(length)
    outputLength = 0
    let flush = isLast ? Z_FINISH : Z_SYNC_FLUSH
    while true {
      if outputLength == outputCapacity { growOutput() }
      stream.next_out = (output + outputLength).assumingMemoryBound(to: Bytef.self)
      let space = outputCapacity - outputLength
      stream.avail_out = uInt(space)
      rc = deflate(&stream, flush)
      outputLength += space - Int(stream.avail_out)
      if rc == Z_STREAM_END { break }
      if rc != Z_OK && rc != Z_BUF_ERROR {
        error = .zlib(call: "deflate", code: rc, message: zlibMessage(stream)); return
      }
      // A sync flush is complete once deflate leaves output space unused.
      if !isLast && stream.avail_in == 0 && stream.avail_out != 0 { break }
    }
    crc = UInt32(crc32(0, input.assumingMemoryBound(to: Bytef.self), uInt(length)))
  }

  private func growOutput() {
    let bigger = UnsafeMutableRawPointer.allocate(byteCount: outputCapacity * 2, alignment: 64)
    bigger.copyMemory(from: output, byteCount: outputLength)
    output.deallocate()
    output = bigger
    outputCapacity *= 2
  }
}

func zlibMessage(_ stream: z_stream) -> String {
  stream.msg.map { String(cString: $0) } ?? "no message"
}

/// The worker threads and the slots they share with the writer.
final class DeflatePool: @unchecked Sendable {
  let blocks: [DeflateBlock]
  let blockSize: Int
  private let level: CInt
  private let monitor = Monitor(conditions: 2)  // 0: work queued, 1: a block is done
  private var queue: [DeflateBlock] = []  // guarded by monitor
  private var stopping = false  // guarded by monitor
  private var threads: [JoinableThread] = []

  init(level: CInt, threads count: Int, slots: Int, blockSize: Int) {
    self.level = level
    self.blockSize = blockSize
    blocks = (0..<slots).map { _ in DeflateBlock(blockSize: blockSize) }
    queue.reserveCapacity(slots)
    for _ in 0..<count {
      threads.append(JoinableThread.mustStart { [self] in self.work() })
    }
  }

  deinit { shutdown() }

  func block(for sequence: Int) -> DeflateBlock { blocks[sequence % blocks.count] }

  func submit(_ block: DeflateBlock) {
    monitor.lock()
    block.done = false
    queue.append(block)
    monitor.signal(0)
    monitor.unlock()
  }

  /// Returns whether `block` is compressed, waiting for it when `waiting`.
  func awaitDone(_ block: DeflateBlock, waiting: Bool) -> Bool {
    monitor.lock()
    defer { monitor.unlock() }
    while !block.done {
      if !waiting { return false }
      monitor.wait(1)
    }
    return true
  }

  /// Lets the workers finish the queue, then joins them. Idempotent.
  func shutdown() {
    monitor.lock()
    stopping = true
    monitor.broadcast(0)
    monitor.unlock()
    for thread in threads { thread.join() }
    threads.removeAll()
  }

  private func work() {
    var stream = z_stream()
    let rc = loadsmith_deflateInit2(&stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY)
    defer { if rc == Z_OK { deflateEnd(&stream) } }
    monitor.lock()
    while true {
      while queue.isEmpty && !stopping { monitor.wait(0) }
      if queue.isEmpty { break }
      let block = queue.removeFirst()
      monitor.unlock()
      if rc == Z_OK { block.compress(&stream) }
      else { block.error = .zlib(call: "deflateInit2", code: rc, message: "cannot initialise deflate") }
      monitor.lock()
      block.done = true
      monitor.broadcast(1)
    }
    monitor.unlock()
  }
}
