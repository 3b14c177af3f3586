import SystemCalls
import Capture
import Dispatch
import Hashing
import RadmindFormat
import Synchronization
import SystemCalls
import TranscriptIO

/// One regular file a capture stores.
struct PlaceJob: Sendable {
  var source: [UInt8]
  var destination: [UInt8]
  var size: Int64
  /// Device and inode of the source as the walk listed it: a copy must read that very file.
  var identity: TreeCapture.InodeKey
  /// The checksum the previous capture recorded for an unchanged, non-racy file: linked from the
  /// store without reading it when the store still holds that content.
  var reuse: [UInt8]?
  /// The modification time (ns) the walk listed: a file whose time moved while it was read changed.
  var mtime: Int64
}

/// A slice of the walk: entries in walk order and the files among them. The walk fills one
/// batch while the previous one is stored, so memory stays bounded by two batches.
struct CaptureBatch {
  static let capacity = 2048
  var entries: [Entry] = []
  /// For each entry: the walk path and stat signature of a regular file (the signature record's line).
  var signatures: [(path: [UInt8], signature: StatSignature)?] = []
  var jobs: [PlaceJob] = []
  var full: Bool { entries.count >= CaptureBatch.capacity }
}

/// Stores batches in walk order on a serial queue (each batch's files on `threads` threads) and
/// writes the transcript, its checksum and the signature record as it goes.
final class CapturePipeline: @unchecked Sendable {
  let queue = DispatchQueue(label: "loadsmith.capture.batches")
  let slots = DispatchSemaphore(value: 2)
  let failure = Mutex<StoreError?>(nil)
  let algorithm: DigestAlgorithm
  let hash: Bool
  let threads: Int
  let share: ContentShare?
  // Touched only on `queue`.
  var transcript: SignatureFreeWriter
  var signatures: SignatureRecordWriter?
  let transcriptDigest: Digester
  var summary = LoadsetStore.StageSummary()

  init(transcriptPath: String, algorithm: DigestAlgorithm, hash: Bool, threads: Int, share: ContentShare?,
       signatures: SignatureRecordWriter?) throws(StoreError) {
    self.algorithm = algorithm
    self.hash = hash
    self.threads = threads
    self.share = share
    self.signatures = signatures
    transcript = try SignatureFreeWriter(path: transcriptPath)
    transcriptDigest = algorithm.makeDigester()
    transcriptDigest.reset()
  }

  var failed: StoreError? { failure.withLock { $0 } }

  /// Hands a batch over (waits while two are in flight).
  func submit(_ batch: CaptureBatch) {
    slots.wait()
    queue.async {
      defer { self.slots.signal() }
      if self.failed != nil { return }
      do throws(StoreError) { try self.store(batch) } catch { self.failure.withLock { if $0 == nil { $0 = error } } }
    }
  }

  /// Waits for every batch; returns the transcript's checksum.
  func finish() throws(StoreError) -> [UInt8] {
    queue.sync {}
    if let failed { throw failed }
    try transcript.finish()
    try signatures?.finish()
    try share?.finish()
    return transcriptDigest.finalizeBase64()
  }

  private func store(_ batch: CaptureBatch) throws(StoreError) {
    let outcomes = Mutex([[UInt8]](repeating: [], count: batch.jobs.count))
    let problem = Mutex<String?>(nil)
    let next = Atomic<Int>(0)
    let count = batch.jobs.count
    // Direct writes wait for the device: twice the copy threads keep the CPUs hashing meanwhile
    // (dispatch's concurrentPerform never runs more threads than CPUs, so these are threads of their own).
    // A batch of small files gets no more threads than CPUs: creating files in one directory is
    // serialized by its lock, and extra threads would only spin on it.
    let direct = DirectWrite.enabled && batch.jobs.contains { $0.size >= DirectWrite.threshold && $0.reuse == nil }
    let workers = max(1, min(direct ? threads * 2 : threads, count))
    let (algorithm, hash, share) = (self.algorithm, self.hash, self.share)
    let jobs = batch.jobs
    let work: @Sendable () -> Void = {
      let copier = FileCopier(algorithm: algorithm)
      while true {
        let i = next.add(1, ordering: .relaxed).oldValue
        if i >= count || problem.withLock({ $0 != nil }) { return }
        switch copier.place(jobs[i], hash: hash, share: share) {
        case .success(let checksum): outcomes.withLock { $0[i] = checksum }
        case .failure(let message): problem.withLock { if $0 == nil { $0 = message } }
        }
      }
    }
    if count > 0 {
      var started: [JoinableThread] = []
      for _ in 1..<workers {
        if case .success(let thread) = JoinableThread.start(work) { started.append(thread) }
      }
      work()  // this thread is one of the workers (and the only one if no thread could start)
      for thread in started { thread.join() }
    }
    if let message = problem.withLock({ $0 }) { throw StoreError(.system, message) }
    let checksums = outcomes.withLock { $0 }
    var lines: [UInt8] = []
    lines.reserveCapacity(batch.entries.count * 96)
    var job = 0
    let bytesBefore = summary.bytes
    defer { WorkProgress.advance(bytes: summary.bytes - bytesBefore) }  // capture's progress line: bytes stored
    for (i, var entry) in batch.entries.enumerated() {
      if entry.kind == .file {
        entry.checksum = hash ? checksums[job] : Entry.noChecksum
        if hash, let s = batch.signatures[i] { try signatures?.add(s.path, s.signature, checksum: checksums[job]) }
        job += 1
        summary.files += 1
        summary.bytes += entry.size
      }
      summary.entries += 1
      LineWriter.append(entry, to: &lines)
    }
    transcriptDigest.update(lines)
    try transcript.write(lines)
  }
}

/// A plain buffered file writer (no fsync: staging is made durable by one `syncfs`).
struct SignatureFreeWriter {
  let fd: Int32
  let path: String
  var buffer: [UInt8] = []
  init(path: String) throws(StoreError) {
    self.path = path
    do { fd = try Syscall.open(path, [.writeOnly, .create, .exclusive], mode: 0o644) } catch { throw .system(error) }
  }
  mutating func write(_ bytes: [UInt8]) throws(StoreError) {
    buffer += bytes
    if buffer.count >= 1 << 20 { try sys(Syscall.writeAll(fd, buffer, path: path)); buffer.removeAll(keepingCapacity: true) }
  }
  mutating func finish() throws(StoreError) {
    try sys(Syscall.writeAll(fd, buffer, path: path))
    buffer = []
    Syscall.closeQuietly(fd)
  }
}

/// One thread's copier (``HashingCopier``). Stored files are created read-only (0444): shared
/// content must not be edited in place.
final class FileCopier: HashingCopier {
  enum Outcome { case success([UInt8]), failure(String) }

  static let storedMode: FileMode = 0o444

  /// Stores one file: links the stored copy of a reused checksum; else reads it once (a file that
  /// fits the buffer is hashed there, linked on a hit, else written from the same bytes; a larger
  /// one is hashed first only when the published index holds its size) or copies it while
  /// hashing. `hash` false (neg loadsets): a zero-length file.
  func place(_ job: PlaceJob, hash: Bool, share: ContentShare?) -> Outcome {
    guard hash else {
      do { Syscall.closeQuietly(try Syscall.open(job.destination, [.writeOnly, .create, .exclusive], mode: FileCopier.storedMode)) } catch {
        return failure("open", job.destination, error)
      }
      return .success(Entry.noChecksum)
    }
    if let share, let checksum = job.reuse,
       share.link(ContentKey(algorithm: share.algorithm, size: job.size, checksum: checksum), to: job.destination) {
      return .success(checksum)
    }
    let input: Int32
    switch CaptureSource.open(job.source, identity: job.identity) {
    case .success(let fd): input = fd
    case .failure(let message): return .failure(message)
    }
    defer { Syscall.closeQuietly(input) }
    if job.size >= 1 << 20 { Syscall.adviseSequential(input) }
    if let share, job.size <= Int64(buffer.count), share.mayHave(size: job.size) {
      // The whole file fits the buffer: one read, hashed; linked on a hit, else the same bytes written.
      switch copy(input, job, to: nil) {
      case .success(let checksum):
        let key = ContentKey(algorithm: share.algorithm, size: job.size, checksum: checksum)
        if share.link(key, to: job.destination) { return .success(checksum) }
        let out: Int32
        do { out = try Syscall.open(job.destination, [.writeOnly, .create, .exclusive], mode: FileCopier.storedMode) } catch {
          return failure("open", job.destination, error)
        }
        defer { Syscall.closeQuietly(out) }
        var writer = DirectWrite(fd: out, size: job.size)
        do { try writer.write(UnsafeRawPointer(buffer.baseAddress!), Int(job.size), path: job.destination) } catch {
          return failure("write", job.destination, error)
        }
        return record(checksum, job, out: out, share: share)
      case .failure(let message): return .failure(message)
      }
    }
    var first: [UInt8]?
    // A large file is hashed first only when the published index holds its size (a hit then writes
    // nothing); one equal to a file of this capture is copied while hashed and then linked.
    if let share, share.mayHaveIndexed(size: job.size) {
      switch copy(input, job, to: nil) {
      case .success(let checksum):
        if share.link(ContentKey(algorithm: share.algorithm, size: job.size, checksum: checksum), to: job.destination) {
          return .success(checksum)
        }
        first = checksum
        do { try Syscall.rewind(input, path: "") } catch { return failure("lseek", job.source, error) }
      case .failure(let message): return .failure(message)
      }
    }
    let out: Int32
    do { out = try Syscall.open(job.destination, [.writeOnly, .create, .exclusive], mode: FileCopier.storedMode) } catch {
      return failure("open", job.destination, error)
    }
    defer { Syscall.closeQuietly(out) }
    switch copy(input, job, to: out) {
    case .success(let checksum):
      if let first, first != checksum { return changed(job.source, "its content changed between two reads") }
      guard let share else { return .success(checksum) }
      return record(checksum, job, out: out, share: share)
    case .failure(let message): return .failure(message)
    }
  }

  /// Enters a copy just stored in the capture's share (``ContentShare/enter(_:at:fd:)``).
  private func record(_ checksum: [UInt8], _ job: PlaceJob, out: Int32, share: ContentShare) -> Outcome {
    let key = ContentKey(algorithm: share.algorithm, size: job.size, checksum: checksum)
    if let problem = share.enter(key, at: job.destination, fd: out) {
      return .failure("\(String(decoding: job.destination, as: UTF8.self)): \(problem)")
    }
    return .success(checksum)
  }

  private func failure(_ call: String, _ path: [UInt8], _ error: SystemCallError) -> Outcome {
    .failure("\(String(decoding: path, as: UTF8.self)): \(call): \(error.reason)")
  }

  private func changed(_ source: [UInt8], _ why: String) -> Outcome {
    .failure("\(String(decoding: source, as: UTF8.self)): changed while it was captured (\(why)); capture again once the staging tree is quiet")
  }

  /// Reads `input` to its end, hashing, and writes it to `out` when given (large files past the
  /// page cache, ``DirectWrite``). Each pass fills the buffer, so a file that fits it is left whole
  /// in the buffer.
  private func copy(_ input: Int32, _ job: PlaceJob, to out: Int32?) -> Outcome {
    digester.reset()
    var total: Int64 = 0
    var writer = out.map { DirectWrite(fd: $0, size: job.size) }
    var ended = false
    while !ended {
      var n = 0
      while n < buffer.count {
        let r: Int
        do { r = try Syscall.read(input, into: UnsafeMutableRawBufferPointer(rebasing: buffer[n...]), path: job.source) } catch {
          return failure("read", job.source, error)
        }
        if r == 0 { ended = true; break }
        n += r
      }
      if n == 0 { break }
      digester.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
      if writer != nil {
        do { try writer!.write(UnsafeRawPointer(buffer.baseAddress!), n, path: job.destination) } catch {
          return failure("write", job.destination, error)
        }
      }
      total += Int64(n)
    }
    if total != job.size {
      return changed(job.source, "size \(job.size) when listed, \(total) bytes read")
    }
    if let st = try? Syscall.fstat(input, path: job.source), Int64(st.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(st.st_mtim.tv_nsec) != job.mtime {
      return changed(job.source, "its modification time moved while it was read")
    }
    return .success(digester.finalizeBase64())
  }
}
