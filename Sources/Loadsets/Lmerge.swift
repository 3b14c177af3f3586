import SystemCalls
import RadmindFormat
import TranscriptIO

/// radmind's `lmerge` (spec §8) as a streaming k-way merge: any number of inputs, memory
/// independent of their length, output lines copied byte for byte. The merge loop reproduces
/// radmind's, quirks included:
///
/// * the first input has the highest precedence; a lower duplicate is dropped when matched;
/// * a `-` line is dropped, and copied to the output only if nothing matched it — where the
///   "matched" flag is not reset when the candidate moves to a later input during a scan;
/// * `-n` writes t1's file line only when size and checksum equal t2's (file linked from t2's
///   directory), drops other t1 lines together with t2's line for the same path;
/// * `-f` merges t1 into t2 in place: t2's stored files are unlinked when t1 overrides them;
/// * an out-of-order line met while a *lower* input is skipped past a duplicate is reported but
///   not fatal (radmind checks that call with `< 0`); everywhere else it stops the merge.
///
/// Publishing differs from radmind on purpose: see ``LoadsetPublisher`` (crash-safe, no empty
/// placeholder destination, temporaries removed on error).
public struct LmergeOptions: Sendable {
  public var force = false          // -f
  public var noUpload = false       // -n
  public var transcriptOnly = false // -T
  public var copy = false           // -C
  public var verbose = false        // -v
  public var caseInsensitive = false // -I
  public var radmindDirectory = "/var/radmind"
  /// The input transcripts in precedence order (for `-f`: t1 and t2).
  public var inputs: [String] = []
  /// The destination (nil with `-f`, where t2 is replaced).
  public var destination: String?
  /// When the merge runs on several cores (see ``ParallelMerge``).
  var parallel = ParallelMergeSettings()

  public init() {}
}

/// A fatal lmerge error: its message (radmind's wording) and exit status.
public struct LmergeFailure: Error, Sendable {
  public var message: [UInt8]
  public var status: Int32
  public init(_ message: [UInt8], status: Int32 = 2) {
    self.message = message
    self.status = status
  }
}

public enum Lmerge {
  /// Runs a merge. `out` receives `-v` lines, `err` non-fatal messages (each with its LF).
  public static func run(_ o: LmergeOptions, out: ([UInt8]) -> Void, err: ([UInt8]) -> Void) throws(LmergeFailure) {
    let order = PathOrder(caseInsensitive: o.caseInsensitive)
    let radmindDir = Array(o.radmindDirectory.utf8)
    var inputPaths = o.inputs
    if o.force {
      let t2 = inputPaths.last ?? ""
      do { try Syscall.checkAccess(Array(t2.utf8), write: true) } catch {
        throw LmergeFailure(Array(t2.utf8) + Array(": ".utf8) + SystemCallError.reasonBytes(error.errno))
      }
      inputPaths = Array(inputPaths.prefix(2))
    }

    // Open every input and read its first line before touching the destination.
    var inputs: [MergeInput] = []
    for path in inputPaths {
      let location: LoadsetLocation
      do {
        let radmind = try LoadsetLocation.resolveRadmindDirectory(radmindDir)
        location = try LoadsetLocation.locate(transcript: Array(path.utf8), radmindDirectory: radmind)
      } catch {
        throw LmergeFailure(error.message)
      }
      let input: MergeInput
      do { input = try MergeInput(path: path, location: location, order: order) } catch {
        throw LmergeFailure(Array(path.utf8) + Array(": ".utf8) + SystemCallError.reasonBytes(error.errno), status: 1)
      }
      switch input.advance() {
      case .ok: break
      case .soft(let m): err(m + [0x0A])
      case .fatal(let m): throw LmergeFailure(m)
      }
      inputs.append(input)
    }

    let destination: LoadsetLocation
    if o.force {
      destination = inputs[1].location
    } else {
      do {
        let radmind = try LoadsetLocation.resolveRadmindDirectory(radmindDir)
        destination = try LoadsetLocation.locate(destination: Array((o.destination ?? "").utf8), radmindDirectory: radmind)
      } catch {
        throw LmergeFailure(error.message)
      }
    }

    for (name, result) in LoadsetPublisher.recover(transcriptRoot: destination.transcriptRoot) {
      err(Array("lmerge: ".utf8) + name + Array(": interrupted publish \(result == .rolledForward ? "finished" : result == .rolledBack ? "rolled back" : "could not be recovered")\n".utf8))
    }

    let publisher: LoadsetPublisher
    do {
      // -f works on a hard-link clone of t2's file directory, published like a new loadset.
      publisher = try LoadsetPublisher(destination: destination, withFiles: o.force || !o.transcriptOnly,
                                       seedFromExisting: o.force)
    } catch {
      throw LmergeFailure(error.message)
    }
    do {
      try merge(inputs, options: o, destination: destination, publisher: publisher, out: out, err: err)
    } catch {
      publisher.abandon()
      throw error
    }
    do { try publisher.commit() } catch { throw LmergeFailure(error.message) }
  }

  /// The merge loop proper (radmind's `main` from "merge" to the directory removals).
  static func merge(_ inputs: [MergeInput], options o: LmergeOptions, destination: LoadsetLocation,
                    publisher: LoadsetPublisher, out: ([UInt8]) -> Void, err: ([UInt8]) -> Void) throws(LmergeFailure) {
    let k = inputs.count
    if ParallelMerge.applies(o, inputCount: k), try ParallelMerge.run(inputs, options: o, publisher: publisher) { return }
    var removedDirectories: [[UInt8]] = []  // -f: encoded paths of matched "- d" lines, newest first
    // The transcript is written from a second thread, overlapping the merge
    // (see ``LmergeTranscriptWriter``).
    let output = try LmergeTranscriptWriter(publisher.transcript)
    defer { output.stop() }

    // Each input is loaded from the array once per step (`current`, `candidate`): every element
    // load was a retain and a release, 14% of lmerge's samples.
    for i in 0..<k {
      let current = inputs[i]
      while !current.isAtEnd {
        var scan = MergeScan(candidate: i)
        if o.force && i == k - 1 {
          scan.match = true
          scan.toOutput = true
        } else {
          try scanLowerInputs(inputs, from: i, into: &scan, options: o, publisher: publisher, out: out, err: err)
          if !scan.toSkip {
            try decide(&scan, inputs, options: o, destination: destination, publisher: publisher,
                       removedDirectories: &removedDirectories, out: out, err: err)
          }
        }
        let cand = scan.candidate
        let candidate = inputs[cand]
        if scan.toOutput { try output.write(line: candidate.line) }
        // skipline:
        if candidate.isRemoval && !scan.match && !(o.force && cand == 1) {
          try output.write(line: candidate.line)
        }
        switch candidate.advance() {
        case .ok: break
        case .soft(let m), .fatal(let m): throw LmergeFailure(m)
        }
      }
    }

    try output.finish()
    if o.force {
      try removeMatchedDirectories(removedDirectories, destination: destination, publisher: publisher,
                                   verbose: o.verbose, out: out, err: err)
    }
  }

  /// The state of one step of radmind's merge loop: the input whose line is the candidate, the
  /// input whose stored file it uses, and what becomes of the line.
  struct MergeScan {
    var candidate: Int
    var fileOwner: Int
    var match = false
    var toSkip = false
    var toOutput = false

    init(candidate: Int) {
      self.candidate = candidate
      self.fileOwner = candidate
    }
  }

  /// radmind's scan of the lower-precedence inputs: the smallest path becomes the candidate, and
  /// each lower line equal to the candidate is dropped (with `-n`/`-f` side effects).
  static func scanLowerInputs(_ inputs: [MergeInput], from i: Int, into scan: inout MergeScan, options o: LmergeOptions,
                              publisher: LoadsetPublisher, out: ([UInt8]) -> Void, err: ([UInt8]) -> Void) throws(LmergeFailure) {
    for j in (i + 1)..<inputs.count {
      let other = inputs[j]
      if other.isAtEnd { continue }
      let c = inputs[scan.candidate].compare(to: other)
      if c == 0 {
        scan.match = true
        if o.noUpload && inputs[scan.candidate].hasFile {
          if sameStoredFile(inputs[scan.candidate], inputs[j]) {
            scan.fileOwner = j
          } else {
            scan.toSkip = true  // radmind: "don't print file only in highest tran"
            return
          }
        }
        if o.force && inputs[j].hasFile {
          // j is t2, the destination: its clone is what changes.
          let lower = inputs[j]
          let stored = lower.location.fileRoot + [0x2F] + lower.name + [0x2F] + lower.decodedPath
          do { try Syscall.unlink(publisher.temporaryFilePath(lower.decodedPath)) } catch {
            throw LmergeFailure(stored + Array(": ".utf8) + SystemCallError.reasonBytes(error.errno))
          }
          if o.verbose { out(lower.name + Array(": ".utf8) + lower.decodedPath + Array(": unlinked\n".utf8)) }
        }
        switch other.advance() {
        case .ok: break
        case .soft(let m): err(m + [0x0A])  // radmind tests this call with "< 0"
        case .fatal(let m): throw LmergeFailure(m)
        }
      } else if c > 0 {
        scan.candidate = j
        scan.fileOwner = j
      }
    }
  }

  /// `-n`: true when two lines name the same size and checksum (fields 6 and 7).
  static func sameStoredFile(_ a: MergeInput, _ b: MergeInput) -> Bool {
    guard let s1 = a.field(6), let c1 = a.field(7), let s2 = b.field(6), let c2 = b.field(7) else { return false }
    return s1.elementsEqual(s2) && c1.elementsEqual(c2)
  }

  /// What becomes of the candidate line once the scan is done: skipped (a removal, or `-n`'s
  /// t1-only line), written, or written with its stored file linked into the new loadset.
  static func decide(_ scan: inout MergeScan, _ inputs: [MergeInput], options o: LmergeOptions,
                     destination: LoadsetLocation, publisher: LoadsetPublisher, removedDirectories: inout [[UInt8]],
                     out: ([UInt8]) -> Void, err: ([UInt8]) -> Void) throws(LmergeFailure) {
    let cand = inputs[scan.candidate]
    if o.force && scan.candidate == 1 {
      scan.toOutput = true
    } else if cand.isRemoval || (o.noUpload && scan.candidate == 0 && scan.fileOwner == 0) {
      if scan.match && o.force && cand.type == UInt8(ascii: "d") {
        removedDirectories.insert(Array(cand.path), at: 0)
      }
      scan.toSkip = true
    } else if !cand.hasFile || o.transcriptOnly {
      scan.toOutput = true
    } else {
      try store(cand, from: inputs[scan.fileOwner], options: o, destination: destination,
                publisher: publisher, err: err)
      if o.verbose {
        out(cand.name + Array(": ".utf8) + cand.decodedPath + Array(": merged into: ".utf8) + destination.name + [0x0A])
      }
      scan.toOutput = true
    }
  }

  /// `-f`: removes the directories of matched `- d` lines from the new file tree (newest first);
  /// one that is not empty is reported and kept, as radmind does.
  static func removeMatchedDirectories(_ removed: [[UInt8]], destination: LoadsetLocation, publisher: LoadsetPublisher,
                                       verbose: Bool, out: ([UInt8]) -> Void, err: ([UInt8]) -> Void) throws(LmergeFailure) {
    let destName = destination.name
    for encoded in removed {
      let dir = destination.fileRoot + [0x2F] + destName + [0x2F] + encoded
      do { try Syscall.rmdir(publisher.temporaryFileDirectory + [0x2F] + encoded) } catch {
        let code = error.errno
        if code == Errno.exists || code == Errno.notEmpty {
          err(destName + Array(": ".utf8) + encoded + Array(": Not empty, continuing...\n".utf8))
        } else if code != Errno.noEntry {
          throw LmergeFailure(dir + Array(": ".utf8) + SystemCallError.reasonBytes(code))
        }
        continue
      }
      if verbose {
        out(destName + Array(": ".utf8) + encoded + Array(": unlinked\n".utf8))
      }
    }
  }

  /// Links (or with `-C` copies) the stored file of `cand`'s current line into the new loadset.
  static func store(_ cand: MergeInput, from owner: MergeInput, options o: LmergeOptions,
                    destination: LoadsetLocation, publisher: LoadsetPublisher, err: ([UInt8]) -> Void) throws(LmergeFailure) {
    let decoded = cand.decodedPath
    let source = cand.location.fileRoot + [0x2F] + owner.name + [0x2F] + decoded
    // radmind's -f writes into t2's directory; we write into its clone and name the real one.
    let target = publisher.temporaryFilePath(decoded)
    let shownTarget = o.force ? destination.fileRoot + [0x2F] + destination.name + [0x2F] + decoded : target

    func attempt() -> (ok: Bool, missingDirectory: Bool, code: Int32, copyMessage: [UInt8]?) {
      if o.copy {
        switch RadmindFileOps.copyFile(source, target) {
        case .copied: return (true, false, 0, nil)
        case .missingDirectory: return (false, true, Errno.noEntry, nil)
        case .failed(let m): return (false, false, 0, m)
        }
      }
      do { try Syscall.link(source, target) } catch { return (false, error.errno == Errno.noEntry, error.errno, nil) }
      return (true, false, 0, nil)
    }

    let first = attempt()
    if first.ok { return }
    if first.missingDirectory {
      if cand.path.contains(0x2F) {
        let made = RadmindFileOps.mkdirs(target) { publisher.noteCreatedDirectory($0) }
        if !made { throw LmergeFailure(shownTarget + Array(": mkdirs failed".utf8)) }
      }
      let second = attempt()
      if second.ok { return }
      if o.copy {
        if let m = second.copyMessage { err(m + [0x0A]) }
        throw LmergeFailure(Array("copy ".utf8) + source + Array(" to ".utf8) + shownTarget + Array(" failed".utf8))
      }
      var message = Array("link ".utf8) + source + Array(" -> ".utf8) + shownTarget + Array(": ".utf8) + SystemCallError.reasonBytes(second.code)
      if second.code == Errno.crossDevice { message += Array("\nlmerge: hard links cannot cross file systems; use -C to copy".utf8) }
      throw LmergeFailure(message)
    }
    if o.copy {
      if let m = first.copyMessage { err(m + [0x0A]) }
      throw LmergeFailure(Array("copy ".utf8) + source + Array(" to ".utf8) + shownTarget + Array(" failed".utf8))
    }
    var message = Array("link ".utf8) + source + Array(" to ".utf8) + shownTarget + Array(" failed: ".utf8) + SystemCallError.reasonBytes(first.code)
    if first.code == Errno.crossDevice { message += Array("\nlmerge: hard links cannot cross file systems; use -C to copy".utf8) }
    throw LmergeFailure(message)
  }
}
