import SystemCalls
import Hashing
import RadmindFormat
import TranscriptIO

/// What `lcksum` was asked to do (spec §9), already parsed from its command line.
public struct LcksumOptions {
  /// `-c`: the digest to verify with (mandatory).
  public var digest: DigestAlgorithm
  /// `-n`: verify only, write nothing.
  public var verifyOnly = false
  /// `-a` (with `-n`): report every problem and keep checking (radmind's `-a` crashes).
  public var continueAfterErrors = false
  /// `-I`: case-insensitive order check.
  public var caseInsensitive = false
  /// `-q`: no messages on standard output.
  public var quiet = false
  /// `-A`: check `a` files' AppleSingle headers.
  public var checkAppleSingle = false
  /// `-%`: progress lines on standard output.
  public var progress = false
  /// `-D`: the radmind directory (must exist).
  public var radmindDirectory = "/var/radmind"
  /// `-P`: only lines whose decoded path starts with these bytes.
  public var prefix: [UInt8]?
  /// The transcripts, in order.
  public var transcripts: [String] = []
  /// Hashing threads (0: hash on the calling thread).
  public var threads = OrderedHashPool.availableCPUs

  public init(digest: DigestAlgorithm) { self.digest = digest }
}

/// radmind's `lcksum`: verifies (`-n`) or updates the size and checksum of every `f`/`a` line of
/// each transcript against the stored files of its loadset, with radmind's messages, rewritten-line
/// layout and exit codes (0 verified/unchanged, 1 incorrect/updated, 2 error).
///
/// Stored files are hashed in parallel (``OrderedHashPool``) while lines are checked and written
/// in transcript order. An update is written to a temporary file beside the transcript, fsynced
/// and renamed over it only when complete and changed; on any error the transcript is untouched
/// and the temporary file removed.
///
/// Differences from radmind: `-n -a` works (every problem is printed and checking continues,
/// also with the next transcripts; the exit status is the one radmind would give for the first
/// problem); a stored file that changes while it is read is an error, not a checksum.
public func lcksum(_ options: LcksumOptions, output: ToolOutput) -> Int32 {
  var updated = false
  var firstProblem: Int32 = 0
  for transcript in options.transcripts {
    let run = LcksumRun(options: options, transcriptPath: transcript, output: output)
    let outcome = run.run()
    switch outcome {
    case .fatal:
      output.flush()
      return 2
    case .clean:
      break
    case .changed:
      // Update mode: "updated". Verify mode: "incorrect", which stops radmind at once.
      if options.verifyOnly {
        if !options.continueAfterErrors { output.flush(); return 1 }
        if firstProblem == 0 { firstProblem = 1 }
      } else {
        updated = true
      }
    case .problems(let first):
      // Only reachable with -n -a.
      if firstProblem == 0 { firstProblem = first }
    }
  }
  output.flush()
  if options.verifyOnly { return firstProblem }
  return updated ? 1 : 0
}

/// One transcript's check.
struct LcksumRun {
  enum Outcome: Equatable {
    case clean
    /// Lines were wrong (verify) or rewritten (update).
    case changed
    /// `-n -a`: problems were reported and checking went on; the first one's exit status.
    case problems(first: Int32)
    /// Stop everything, exit 2 (the message is already printed).
    case fatal
  }

  /// A line of the transcript on its way through the hashing pool, in order.
  enum Work {
    /// Copied unchanged (the bytes are kept only in update mode); `progressPath` with `-%`.
    case copy(line: [UInt8]?, progressPath: [UInt8]?)
    /// An `f`/`a` line whose stored file is being hashed.
    case check(FileLine)
    /// A malformed line (`message` for standard error). Fatal unless `-n -a`.
    case problem(message: [UInt8])
    /// Stops the run whatever the options (bad sort order).
    case fatal(message: [UInt8])
  }

  struct FileLine {
    var lineNumber: Int
    var line: [UInt8]
    var decodedPath: [UInt8]
    var storedFile: [UInt8]
    var isAppleSingle: Bool
  }

  let options: LcksumOptions
  let transcriptPath: String
  let output: ToolOutput
  let verbose: Bool

  init(options: LcksumOptions, transcriptPath: String, output: ToolOutput) {
    self.options = options
    self.transcriptPath = transcriptPath
    self.output = output
    verbose = !options.quiet
  }

  static let progressUnit: Int64 = 1024

  func run() -> Outcome {
    guard let pass = LcksumPass.open(self) else { return .fatal }
    // Any return without commit removes the temporary file (AtomicFile's deinit aborts too).
    defer { pass.temporary?.abort() }
    let pool = OrderedHashPool(algorithm: options.digest, threads: options.threads)
    pool.run(next: pass.next, deliver: pass.deliver)
    return pass.finish()
  }

  /// `-A`: the stored `a` file must be an AppleSingle stream whose entries add up to its size.
  func appleSingleProblem(_ file: FileLine, size: Int64) -> [UInt8]? {
    let fd: Int32
    do { fd = try Syscall.open(file.storedFile, [.readOnly]) } catch {
      return Array("line \(file.lineNumber): open ".utf8) + file.decodedPath + Array(": \(error.reason)\n".utf8)
    }
    defer { Syscall.closeQuietly(fd) }
    var message: [UInt8] = []
    let declared: Int64
    switch AppleSingle.declaredSize(fd: fd) {
    case .success(let n): declared = n
    case .failure(.format(let e)):
      message = file.storedFile + Array(": \(e)\n".utf8)
      declared = -1
    case .failure(.read(let code)):
      message = file.storedFile + Array(": read failed: \(SystemCallError.reason(code))\n".utf8)
      declared = -1
    }
    if declared == size { return nil }
    return message + file.storedFile + Array(": corrupted applefile\n".utf8)
  }
}

/// radmind's `-%` progress for lcksum: the percentage of the loadset's size checked so far.
struct Progress {
  let total: Int64
  var done: Int64 = 0
  /// Bytes of the previous line, added when the next line starts (as radmind does).
  var pending: Int64 = 0
  var lines = PercentLines()

  init(total: Int64) { self.total = total }

  mutating func update(path: [UInt8], output: ToolOutput) {
    done += pending
    pending = 0
    // Never falls (done only grows), so "changed" is radmind's "grew".
    let percent = total > 0 ? Int(Float(done) / Float(total) * 100) : 100
    if let line = lines.line(percent, path: path) { output.out(line) }
  }

  /// radmind's `lcksum_loadsetsize`: the listed sizes of f/a lines plus 1024 per line.
  static func loadsetSize(path: String, prefix: [UInt8]?) -> Result<Int64, ProgressFailure> {
    let reader: LineReader
    do { reader = try LineReader(path: path) } catch { return .failure(ProgressFailure("\(path): \(error.reason)\n")) }
    var tokens = LineTokens()
    var size: Int64 = 0
    do {
      while let line = try reader.next() {
        tokens.split(line)
        if tokens.count <= 1 { continue }
        if let prefix {
          guard let decoded = PathCodec.decode(tokens.token(1, in: line)), decoded.starts(with: prefix) else { continue }
        }
        let type = line[tokens.starts[0]]
        if type == UInt8(ascii: "f") || type == UInt8(ascii: "a") {
          if tokens.count < 8 {
            return .failure(ProgressFailure(Array(line) + Array(": line \(reader.lineNumber): invalid transcript line\n".utf8)))
          }
          size += LenientNumber.strtoll(tokens.token(6, in: line))
        }
        size += LcksumRun.progressUnit
      }
    } catch {
      return .failure(ProgressFailure("\(path): \(error.reason)\n"))
    }
    return .success(size)
  }
}

struct ProgressFailure: Error {
  var message: [UInt8]
  init(_ text: String) { message = Array(text.utf8) }
  init(_ bytes: [UInt8]) { message = bytes }
}
