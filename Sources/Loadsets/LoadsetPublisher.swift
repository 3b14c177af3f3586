import SystemCalls
import RadmindFormat
import TranscriptIO

/// Builds a loadset (a transcript and its file directory) under temporary names and publishes
/// it so that a crash at any instant leaves, after the next run, either the old pair or the new
/// pair — never a new transcript without its files or the reverse.
///
/// The visible layout is radmind's: the transcript at `<transcriptRoot>/<name>`, its files in the
/// real directory `<fileRoot>/<name>/`. The protocol:
///
/// 1. **Begin.** Create the intent record `<transcriptRoot>/.<name>.lmerge-intent` (phase `B`,
///    "building", with the four paths below), fsync it and its directory, and hold an exclusive
///    `flock` on it for the whole run. Then create the temporary file directory
///    `<fileRoot>/<name>.<pid>` (unless transcript-only) and the temporary transcript
///    `<transcriptRoot>/<name>.<pid>`.
/// 2. **Build.** The caller writes the transcript and links (or copies) files into the temporary
///    directory. Nothing visible changes.
/// 3. **Seal.** Flush and fsync the temporary transcript; fsync every directory created in the
///    temporary tree (copies are fsynced as they are made). Check the destination: an existing
///    file directory must be empty (radmind's `rename` fails with "Directory not empty" too).
///    Record the (device, inode) of the new directory and transcript in the intent, fsync, then
///    flip the phase byte to `P` ("publishing") and fsync again: from here on the new loadset is
///    complete on disk and recovery rolls **forward**; before it, recovery rolls **back**.
/// 4. **Publish the files first.** `renameat2(RENAME_NOREPLACE)` the temporary directory to
///    `<fileRoot>/<name>`, or if an (empty) old one exists `RENAME_EXCHANGE` the two, so the old
///    one is left under the temporary name. fsync `<fileRoot>`. A reader that finds the old
///    transcript still finds a file for every line it lists (the old directory was empty).
/// 5. **Publish the transcript last.** Rename (or exchange with) the old transcript, fsync
///    `<transcriptRoot>`. The new loadset is now visible as a whole.
/// 6. **Clean up.** Remove whatever the exchanges left under the temporary names (the old empty
///    directory, the old transcript), then unlink the intent record and fsync.
///
/// **Recovery** (``recover(transcriptRoot:)``, run by every lmerge before it starts): for each
/// intent record in the directory that no live process holds locked, phase `B` removes the
/// temporary transcript and tree; phase `P` redoes steps 4–6, using the recorded inodes to tell
/// which steps already happened. Both are idempotent, so a crash during recovery is harmless.
///
/// Fault injection for tests: `LOADSMITH_LMERGE_FAULT=<step>` makes the process `_exit(86)` right
/// after the step named `begun`, `built`, `sealed`, `files`, `transcript` or `cleaned`.
///
/// - Important: hard links need the sources and `<fileRoot>` on one file system (as radmind).
///   The publish renames never cross directories' file systems because the temporary names sit
///   next to the final ones.
public final class LoadsetPublisher {
  public let destination: LoadsetLocation
  public let withFiles: Bool
  public let temporaryFileDirectory: [UInt8]
  public let temporaryTranscript: [UInt8]
  public let intentPath: [UInt8]
  /// The temporary transcript, buffered.
  public let transcript: OutputBuffer
  private let intentFD: Int32
  private var createdDirectories: [[UInt8]] = []
  private var finished = false
  private let replacesFiles: Bool
  private let idsOffset: Int
  private let phaseOffset: Int

  public struct Failure: Error, Sendable {
    public var message: [UInt8]
    init(_ path: [UInt8], _ code: Int32) { message = path + Array(": ".utf8) + SystemCallError.reasonBytes(code) }
    init(message: [UInt8]) { self.message = message }
  }

  static func intentPath(root: [UInt8], name: [UInt8]) -> [UInt8] {
    root + Array("/.".utf8) + name + Array(".lmerge-intent".utf8)
  }

  /// Step 1: writes the intent record, creates the temporary directory and transcript.
  ///
  /// - Parameter seedFromExisting: start the temporary file directory as a clone (hard links) of
  ///   the existing one, and allow replacing a non-empty directory: for changing a loadset in
  ///   place (`lmerge -f`) without ever modifying the published directory.
  public init(destination: LoadsetLocation, withFiles: Bool, seedFromExisting: Bool = false,
              pid: Int32 = Syscall.processID) throws(Failure) {
    let suffix = Array(".\(pid)".utf8)
    let fileTemp = destination.fileDirectory + suffix
    let tranTemp = destination.transcriptPath + suffix
    let intent = LoadsetPublisher.intentPath(root: destination.transcriptRoot, name: destination.name)

    // Another run's record for this name: recover it if it is stale, refuse if it is live.
    if Syscall.exists(intent) {
      _ = LoadsetPublisher.recoverOne(intent)
      if Syscall.exists(intent) {
        throw Failure(message: destination.transcriptPath + Array(": another lmerge is publishing this loadset".utf8))
      }
    }
    let fd: Int32
    do { fd = try Syscall.open(intent, [.readWrite, .create, .exclusive], mode: 0o644) } catch { throw Failure(intent, error.errno) }
    func dropIntent() {
      try? Syscall.unlink(intent)
      Syscall.closeQuietly(fd)
    }
    try? Syscall.flock(fd, exclusive: true, path: "")
    var record = Array("loadsmith-lmerge-intent 1\nphase ".utf8)
    let phaseAt = record.count
    record += Array("B\nids ".utf8)
    let idsAt = record.count
    record += LoadsetPublisher.formatIDs(0, 0, 0, 0) + [0x0A]
    func field(_ key: String, _ value: [UInt8]?) {
      record += Array(key.utf8) + [0x20]
      if let value { PathCodec.encode(value, into: &record) } else { record.append(UInt8(ascii: "-")) }
      record.append(0x0A)
    }
    field("file-final", withFiles ? destination.fileDirectory : nil)
    field("file-temp", withFiles ? fileTemp : nil)
    field("tran-final", destination.transcriptPath)
    field("tran-temp", tranTemp)
    do { try Syscall.pwriteAll(fd, record, at: 0, path: intent) } catch {
      dropIntent()
      throw Failure(intent, error.errno)
    }
    try? Syscall.fsync(fd, path: intent)
    try? Syscall.syncDirectory(destination.transcriptRoot)

    var seeded: [[UInt8]] = []
    if withFiles && seedFromExisting && Syscall.isDirectory(destination.fileDirectory) {
      if let failure = RadmindFileOps.cloneTree(destination.fileDirectory, fileTemp, created: { seeded.append($0) }) {
        _ = try? DirectoryTree.remove(fileTemp)
        dropIntent()
        throw Failure(message: failure)
      }
    } else if withFiles {
      do { try Syscall.mkdir(fileTemp, mode: 0o777) } catch {
        dropIntent()
        throw Failure(fileTemp, error.errno)
      }
    }
    let tfd: Int32
    do { tfd = try Syscall.open(tranTemp, [.writeOnly, .create, .exclusive], mode: 0o666) } catch {
      if withFiles { _ = try? DirectoryTree.remove(fileTemp) }
      dropIntent()
      throw Failure(tranTemp, error.errno)
    }
    self.destination = destination
    self.withFiles = withFiles
    temporaryFileDirectory = fileTemp
    temporaryTranscript = tranTemp
    intentPath = intent
    intentFD = fd
    phaseOffset = phaseAt
    idsOffset = idsAt
    transcript = OutputBuffer(fd: tfd, name: String(decoding: tranTemp, as: UTF8.self))
    replacesFiles = seedFromExisting
    if withFiles { createdDirectories = seeded.isEmpty ? [fileTemp] : seeded }
    LoadsetPublisher.fault("begun")
  }

  deinit { abandon() }

  /// The path inside the temporary file directory for a transcript line's decoded path:
  /// `<fileRoot>/<name>.<pid>/<decoded path>` (radmind's layout, `//` and `/./` included).
  public func temporaryFilePath(_ decodedPath: [UInt8]) -> [UInt8] {
    BytePath.join(temporaryFileDirectory, decodedPath)
  }

  /// Records a directory made inside the temporary tree, to fsync it before publishing.
  public func noteCreatedDirectory(_ path: [UInt8]) { createdDirectories.append(path) }

  /// Steps 3–6. On failure before the visible renames, everything temporary is removed and the
  /// old loadset is untouched; the error is worded as radmind words it.
  public func commit() throws(Failure) {
    precondition(!finished)
    do {
      try transcript.flush()
    } catch {
      abandon()
      throw Failure(message: Array(error.description.utf8))
    }
    try? Syscall.fsync(transcript.fd, path: temporaryTranscript)
    transcript.closeQuietly()
    for dir in createdDirectories.reversed() { try? Syscall.syncDirectory(dir) }
    LoadsetPublisher.fault("built")

    let fileFinal = destination.fileDirectory
    if withFiles, !replacesFiles, Syscall.exists(fileFinal) {
      // radmind renames over it: that works only for an empty directory.
      if !Syscall.isDirectory(fileFinal) {
        abandon()
        throw Failure(fileFinal, Errno.notDirectory)
      }
      if !Syscall.isEmptyDirectory(fileFinal) {
        abandon()
        throw Failure(fileFinal, Errno.notEmpty)
      }
    }
    if Syscall.isDirectory(destination.transcriptPath) {
      abandon()
      throw Failure(destination.transcriptPath, Errno.isDirectory)
    }
    let fileID = withFiles ? Syscall.identity(temporaryFileDirectory) ?? (0, 0) : (0, 0)
    let tranID = Syscall.identity(temporaryTranscript) ?? (0, 0)
    let ids = LoadsetPublisher.formatIDs(fileID.0, fileID.1, tranID.0, tranID.1)
    try? Syscall.pwriteAll(intentFD, ids, at: Int64(idsOffset), path: intentPath)
    try? Syscall.fsync(intentFD, path: intentPath)
    let phase = UInt8(ascii: "P")
    try? Syscall.pwriteAll(intentFD, [phase], at: Int64(phaseOffset), path: intentPath)
    try? Syscall.fsync(intentFD, path: intentPath)
    LoadsetPublisher.fault("sealed")

    let record = IntentRecord(phase: phase, fileFinal: withFiles ? fileFinal : nil,
                              fileTemp: withFiles ? temporaryFileDirectory : nil,
                              tranFinal: destination.transcriptPath, tranTemp: temporaryTranscript,
                              fileID: fileID, tranID: tranID)
    finished = true
    if let failure = LoadsetPublisher.rollForward(record, faults: true) {
      // Leave the record: the next run finishes the publish.
      Syscall.closeQuietly(intentFD)
      throw failure
    }
    try? Syscall.unlink(intentPath)
    try? Syscall.syncDirectory(destination.transcriptRoot)
    Syscall.closeQuietly(intentFD)
  }

  /// Removes the temporary transcript, the temporary tree and the intent record (roll back).
  public func abandon() {
    guard !finished else { return }
    finished = true
    transcript.closeQuietly()
    try? Syscall.unlink(temporaryTranscript)
    if withFiles { _ = try? DirectoryTree.remove(temporaryFileDirectory) }
    cleanupIntent()
  }

  private func cleanupIntent() {
    try? Syscall.unlink(intentPath)
    Syscall.closeQuietly(intentFD)
  }

  static func formatIDs(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) -> [UInt8] {
    func pad(_ v: UInt64) -> String {
      let s = String(v)
      return String(repeating: "0", count: max(0, 20 - s.count)) + s
    }
    return Array("\(pad(a)) \(pad(b)) \(pad(c)) \(pad(d))".utf8)
  }

  /// `_exit(86)` if the fault-injection variable names `step` (the store's ``FaultInjector``).
  static func fault(_ step: String) { faultInjector.checkpoint(step) }
  static let faultInjector = FaultInjector(variable: "LOADSMITH_LMERGE_FAULT")

  // MARK: - Recovery

  struct IntentRecord {
    var phase: UInt8
    var fileFinal: [UInt8]?
    var fileTemp: [UInt8]?
    var tranFinal: [UInt8]
    var tranTemp: [UInt8]
    var fileID: (UInt64, UInt64)
    var tranID: (UInt64, UInt64)
  }

  static func parse(_ bytes: [UInt8]) -> IntentRecord? {
    let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    guard lines.count >= 7, lines[0] == Array("loadsmith-lmerge-intent 1".utf8),
          lines[1].count == 7, lines[1].starts(with: Array("phase ".utf8)) else { return nil }
    let ids = lines[2].split(separator: 0x20).dropFirst().map { UInt64(String(decoding: $0, as: UTF8.self)) ?? 0 }
    guard ids.count == 4 else { return nil }
    func value(_ line: [UInt8], _ key: String) -> [UInt8]?? {
      let prefix = Array(key.utf8) + [0x20]
      guard line.starts(with: prefix) else { return .none }
      let v = Array(line[prefix.count...])
      if v == [UInt8(ascii: "-")] { return .some(nil) }
      guard let d = PathCodec.decode(v) else { return .none }
      return .some(d)
    }
    guard let ff = value(lines[3], "file-final"), let ft = value(lines[4], "file-temp"),
          let tf = value(lines[5], "tran-final"), let tt = value(lines[6], "tran-temp"),
          let tranFinal = tf, let tranTemp = tt else { return nil }
    return IntentRecord(phase: lines[1][6], fileFinal: ff, fileTemp: ft, tranFinal: tranFinal,
                        tranTemp: tranTemp, fileID: (ids[0], ids[1]), tranID: (ids[2], ids[3]))
  }

  /// Steps 4–6 from whatever state the record's inodes reveal. Returns a failure or nil.
  static func rollForward(_ r: IntentRecord, faults: Bool) -> Failure? {
    if let fileFinal = r.fileFinal, let fileTemp = r.fileTemp {
      if let id = Syscall.identity(fileFinal), id == r.fileID {
        // already published
      } else if let id = Syscall.identity(fileTemp), id == r.fileID {
        let code = failureCode { () throws(SystemCallError) in try Syscall.renameat2(fileTemp, fileFinal, flags: .noReplace) }
        if code != 0 {
          if code == Errno.exists {
            let exchanged = failureCode { () throws(SystemCallError) in try Syscall.renameat2(fileTemp, fileFinal, flags: .exchange) }
            if exchanged != 0 { return Failure(fileFinal, exchanged) }
          } else if code == Errno.invalid || code == Errno.noSystemCall {
            // File system without renameat2 flags: plain rename (radmind's own step).
            let renamed = failureCode { () throws(SystemCallError) in try Syscall.rename(fileTemp, fileFinal) }
            if renamed != 0 { return Failure(fileFinal, renamed) }
          } else {
            return Failure(fileFinal, code)
          }
        }
        try? Syscall.syncDirectory(BytePath.directory(of: fileFinal))
      } else {
        return Failure(message: fileTemp + Array(": new file directory missing, cannot finish publish".utf8))
      }
      if faults { fault("files") }
    }
    if let id = Syscall.identity(r.tranFinal), id == r.tranID {
      // already published
    } else if let id = Syscall.identity(r.tranTemp), id == r.tranID {
      var code = failureCode { () throws(SystemCallError) in try Syscall.renameat2(r.tranTemp, r.tranFinal, flags: .noReplace) }
      if code == Errno.exists {
        code = failureCode { () throws(SystemCallError) in try Syscall.renameat2(r.tranTemp, r.tranFinal, flags: .exchange) }
      }
      if code == Errno.invalid || code == Errno.noSystemCall {
        code = failureCode { () throws(SystemCallError) in try Syscall.rename(r.tranTemp, r.tranFinal) }
      }
      if code != 0 { return Failure(r.tranFinal, code) }
      try? Syscall.syncDirectory(BytePath.directory(of: r.tranFinal))
    } else {
      return Failure(message: r.tranTemp + Array(": new transcript missing, cannot finish publish".utf8))
    }
    if faults { fault("transcript") }
    // Whatever is left under the temporary names is the old pair.
    if let fileTemp = r.fileTemp, let id = Syscall.identity(fileTemp), id != r.fileID {
      _ = try? DirectoryTree.remove(fileTemp)
    }
    if let id = Syscall.identity(r.tranTemp), id != r.tranID {
      try? Syscall.unlink(r.tranTemp)
    }
    if let ff = r.fileFinal { try? Syscall.syncDirectory(BytePath.directory(of: ff)) }
    try? Syscall.syncDirectory(BytePath.directory(of: r.tranFinal))
    if faults { fault("cleaned") }
    return nil
  }

  /// The errno `body` failed with, or 0.
  private static func failureCode(_ body: () throws(SystemCallError) -> Void) -> Int32 {
    do { try body(); return 0 } catch { return error.errno }
  }

  /// What recovering one intent record did.
  public enum Recovery: Equatable { case busy, rolledBack, rolledForward, unreadable, failed }

  /// Recovers one intent record unless a live process holds it locked.
  static func recoverOne(_ path: [UInt8]) -> Recovery {
    guard let fd = try? Syscall.open(path, [.readWrite]) else { return .unreadable }
    defer { Syscall.closeQuietly(fd) }
    if (try? Syscall.flock(fd, exclusive: true, nonBlocking: true, path: "")) == nil { return .busy }
    var bytes: [UInt8] = []
    let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 1)
    defer { buf.deallocate() }
    while let n = try? Syscall.read(fd, into: buf, path: path), n > 0 {
      bytes += buf[0..<n]
    }
    guard let record = parse(bytes) else {
      // Torn before the first fsync: nothing was built that the record can name.
      try? Syscall.unlink(path)
      return .unreadable
    }
    if record.phase == UInt8(ascii: "P") {
      if rollForward(record, faults: false) != nil { return .failed }
      try? Syscall.unlink(path)
      try? Syscall.syncDirectory(BytePath.directory(of: path))
      return .rolledForward
    }
    try? Syscall.unlink(record.tranTemp)
    if let ft = record.fileTemp { _ = try? DirectoryTree.remove(ft) }
    try? Syscall.unlink(path)
    try? Syscall.syncDirectory(BytePath.directory(of: path))
    return .rolledBack
  }

  /// Finishes or undoes every interrupted publish recorded in `transcriptRoot`. Returns the
  /// transcript names handled and what was done, for a note on standard error.
  @discardableResult
  public static func recover(transcriptRoot: [UInt8]) -> [(name: [UInt8], result: Recovery)] {
    var done: [(name: [UInt8], result: Recovery)] = []
    let suffix = Array(".lmerge-intent".utf8)
    for entry in ((try? Syscall.names(in: transcriptRoot)) ?? []) where entry.first == 0x2E && entry.count > suffix.count + 1 && entry.suffix(suffix.count).elementsEqual(suffix) {
      let name = Array(entry[1 ..< entry.count - suffix.count])
      let result = recoverOne(BytePath.join(transcriptRoot, entry))
      if result != .busy { done.append((name, result)) }
    }
    return done
  }
}

/// Where a loadset is written while it is built: the transcript buffer and the file tree.
/// ``LoadsetPublisher`` publishes the pair crash-safely; ``StagedLoadset`` leaves it unpublished.
protocol LoadsetWriter: AnyObject {
  var transcript: OutputBuffer { get }
  /// Mode for directories made in the file tree (minus umask).
  var directoryMode: FileMode { get }
  func temporaryFilePath(_ decodedPath: [UInt8]) -> [UInt8]
  func noteCreatedDirectory(_ path: [UInt8])
  func commit() throws(LoadsetPublisher.Failure)
  func abandon()
}

extension LoadsetPublisher: LoadsetWriter {
  var directoryMode: FileMode { 0o777 }
}

/// A loadset written to two given paths and not published: for a caller that publishes with its
/// own protocol (the store's intent records). The transcript (mode 0644) and the file directory
/// (0755, as every directory made in it) must not exist yet. ``commit()`` flushes and closes the
/// transcript without fsync (the caller makes its staging durable); ``abandon()`` removes both.
final class StagedLoadset: LoadsetWriter {
  let transcript: OutputBuffer
  let fileDirectory: [UInt8]
  let transcriptPath: [UInt8]
  private var finished = false
  var directoryMode: FileMode { 0o755 }

  init(transcript path: [UInt8], fileDirectory: [UInt8]) throws(LoadsetPublisher.Failure) {
    do { try Syscall.mkdir(fileDirectory, mode: 0o755) } catch {
      throw LoadsetPublisher.Failure(fileDirectory, error.errno)
    }
    let fd: Int32
    do { fd = try Syscall.open(path, [.writeOnly, .create, .exclusive], mode: 0o644) } catch {
      _ = try? DirectoryTree.remove(fileDirectory)
      throw LoadsetPublisher.Failure(path, error.errno)
    }
    self.fileDirectory = fileDirectory
    transcriptPath = path
    transcript = OutputBuffer(fd: fd, name: String(decoding: path, as: UTF8.self))
  }

  deinit { abandon() }

  func temporaryFilePath(_ decodedPath: [UInt8]) -> [UInt8] { BytePath.join(fileDirectory, decodedPath) }
  func noteCreatedDirectory(_ path: [UInt8]) {}

  func commit() throws(LoadsetPublisher.Failure) {
    precondition(!finished)
    do { try transcript.flush() } catch {
      abandon()
      throw LoadsetPublisher.Failure(message: Array(error.description.utf8))
    }
    finished = true
    transcript.closeQuietly()
  }

  func abandon() {
    guard !finished else { return }
    finished = true
    transcript.closeQuietly()
    try? Syscall.unlink(transcriptPath)
    _ = try? DirectoryTree.remove(fileDirectory)
  }
}
