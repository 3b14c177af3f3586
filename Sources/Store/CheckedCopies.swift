import SystemCalls
import Dispatch
import Hashing
import RadmindFormat
import Synchronization
import TranscriptIO

/// Files to copy into a staged loadset from a tree given by a person (`import --files DIR`, a
/// staging root for `capture --base`), each checked against the size and checksum its transcript
/// line lists while it is copied (one read per file, in parallel).
///
/// Sources are reached from the tree's root one component at a time with `O_NOFOLLOW`: a
/// symlink on the way (or a `..` in a name) never leads outside the tree, it fails the copy.
struct CheckedCopies {
  struct Job {
    /// The transcript path (decoded), below `sourceRoot` and `destinationRoot`.
    var path: [UInt8]
    var size: Int64
    /// The expected base64 checksum; nil: the file is stored zero-length and not read (neg).
    var checksum: [UInt8]?
  }
  var sourceRoot: [UInt8]
  var destinationRoot: [UInt8]
  var jobs: [Job] = []
  /// Content sharing (``LoadsetStore/checkedCopyShare(staged:algorithm:type:)``); nil: plain copies.
  var share: ContentShare?

  /// Copies every job on `threads` threads; returns one problem per file that is missing, not a
  /// regular file, or of another size or checksum (the copies made stay in staging, which the
  /// caller discards when there is any problem).
  func run(algorithm: DigestAlgorithm, threads: Int) throws(StoreError) -> [String] {
    // Parents first, in one thread: a file tree of directories as radmind's server keeps them.
    var made: Set<[UInt8]> = []
    for job in jobs {
      guard let parent = BytePath.parent(job.path) else { continue }
      if made.insert(parent).inserted { try sys(Syscall.makeDirectories(BytePath.join(destinationRoot, parent))) }
    }
    let problems = Mutex<[(Int, String)]>([])
    let next = Atomic<Int>(0)
    let jobs = self.jobs, sourceRoot = self.sourceRoot, destinationRoot = self.destinationRoot, share = self.share
    let workers = max(1, min(threads, jobs.count))
    if !jobs.isEmpty {
      DispatchQueue.concurrentPerform(iterations: workers) { _ in
        let copier = CheckedCopier(algorithm: algorithm)
        while true {
          let i = next.add(1, ordering: .relaxed).oldValue
          if i >= jobs.count { return }
          let problem = share.map { copier.copySharing(jobs[i], from: sourceRoot, to: destinationRoot, share: $0) }
            ?? copier.copy(jobs[i], from: sourceRoot, to: destinationRoot)
          if let problem {
            problems.withLock { $0.append((i, problem)) }
          }
        }
      }
    }
    try share?.finish()
    return problems.withLock { $0 }.sorted { $0.0 < $1.0 }.map(\.1)
  }
}

/// One thread's checked copier (``HashingCopier``): capture --base and import.
final class CheckedCopier: HashingCopier {
  /// nil when copied and matching; else what is wrong, naming the transcript path.
  func copy(_ job: CheckedCopies.Job, from sourceRoot: [UInt8], to destinationRoot: [UInt8]) -> String? {
    let shown = job.path.shownPath
    let destination = BytePath.join(destinationRoot, job.path)
    let out: Int32
    do { out = try Syscall.open(destination, [.writeOnly, .create, .exclusive], mode: FileCopier.storedMode) } catch {
      return "\(shown): cannot store: \(error.reason)"
    }
    defer { Syscall.closeQuietly(out) }
    guard let expected = job.checksum else { return nil }
    let input: Int32
    switch CheckedCopier.openBeneath(sourceRoot, job.path) {
    case .success(let fd): input = fd
    case .failure(let why): return "\(shown): \(why)"
    }
    defer { Syscall.closeQuietly(input) }
    return readChecking(input, job, expected: expected, copyingTo: out)
  }

  /// Reads `input` to its end through the digester (writing every chunk to `out` when given),
  /// then checks size and checksum against the transcript line: nil when both match.
  func readChecking(_ input: Int32, _ job: CheckedCopies.Job, expected: [UInt8], copyingTo out: Int32?) -> String? {
    let shown = job.path.shownPath
    digester.reset()
    var total: Int64 = 0
    while true {
      let n: Int
      do { n = try Syscall.read(input, into: buffer, path: job.path) } catch { return "\(shown): read: \(error.reason)" }
      if n == 0 { break }
      digester.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
      if let out {
        do { try Syscall.writeAll(out, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), path: "") } catch {
          return "\(shown): cannot store: \(error.reason)"
        }
      }
      total += Int64(n)
    }
    if total != job.size { return "\(shown): size wrong (transcript \(job.size), file \(total))" }
    if digester.finalizeBase64() != expected { return "\(shown): checksum wrong (\(digester.algorithm.name))" }
    return nil
  }

  enum Opened { case success(Int32), failure(String) }

  /// Opens `root/path` for reading through real directories only (each component opened with
  /// `O_NOFOLLOW`); the file itself must be regular (`O_NONBLOCK`: a FIFO never blocks).
  static func openBeneath(_ root: [UInt8], _ path: [UInt8]) -> Opened {
    let components = path.split(separator: 0x2F).map(Array.init)
    guard let last = components.last, !components.contains(where: { $0 == [0x2E, 0x2E] }) else {
      return .failure("not a path below the tree")
    }
    var dirfd: Int32
    do { dirfd = try Syscall.open(root.isEmpty ? [0x2F] : root, [.readOnly, .directory]) } catch {
      return .failure("\(String(decoding: root, as: UTF8.self)): \(error.reason)")
    }
    defer { Syscall.closeQuietly(dirfd) }
    for component in components.dropLast() where component != [0x2E] {
      let next: Int32
      do { next = try Syscall.openat(dirfd, component, [.readOnly, .directory, .noFollow]) } catch {
        let e = error.errno
        return .failure(e == Errno.tooManyLinks || e == Errno.notDirectory ? "a directory on its way is a symlink or not a directory: not followed" : error.reason)
      }
      Syscall.closeQuietly(dirfd)
      dirfd = next
    }
    let fd: Int32
    do { fd = try Syscall.openat(dirfd, last, [.readOnly, .noFollow, .nonBlocking]) } catch {
      let e = error.errno
      return .failure(e == Errno.tooManyLinks ? "is a symlink, not a regular file" : e == Errno.noEntry ? "file missing" : error.reason)
    }
    let st = (try? Syscall.fstat(fd, path: last)) ?? FileStatus()
    if FileType(mode: st.st_mode) != .regular {
      Syscall.closeQuietly(fd)
      return .failure(RegularFile.notRegular(st.st_mode))
    }
    return .success(fd)
  }
}
