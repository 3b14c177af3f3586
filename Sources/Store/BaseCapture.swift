import SystemCalls
import Capture
import Hashing
import RadmindFormat
import TranscriptIO

/// `capture --base K` (and `capture -K K` when K lists transcripts or specials): the radmind habit
/// of capturing an install as its difference from the base loadsets. Each node is compared with
/// the loadsets K lists by the fsdiff engine itself (``FsdiffRun``, `fsdiff -C -K K -c DIGEST`,
/// with radmind's full command-file semantics: positive, negative, special, excludes,
/// includes and `-` lines), so the transcript is line for line what radmind's fsdiff writes:
/// changed and added objects, `-` lines for removed ones. The files of changed and added objects
/// are copied into the loadset, each checked against the line's size and checksum. The result is
/// an ordinary versioned loadset of its series, published in one intent as `capture` does.
extension LoadsetStore {
  /// True when the command file at `path` needs radmind's full semantics: it lists transcripts
  /// (`p`, `n`, through includes too) or special files. A file of `x` lines only is an exclude list.
  static func commandFileListsBase(_ path: String) throws(StoreError) -> Bool {
    var loader = CommandFileLoader(form: nil, order: .caseSensitive, checksumming: false)
    loader.serverDirectory = serverDirectory(forCommandFile: path)
    do {
      let loaded = try loader.load(path: Array(path.utf8))
      return !loaded.transcripts.isEmpty || !loaded.specials.isEmpty
    } catch {
      throw StoreError(.usage, "\(error)")
    }
  }

  /// The capture against the base loadsets of `request.commandFile`.
  func captureAgainstBase(_ request: CaptureRequest) throws(StoreError) -> CaptureResult {
    guard let kfile = request.commandFile else { throw StoreError(.usage, "--base: no command file given") }
    let checked = try LoadsetStore.checkCaptureRequest(request, nodeExample: "--node /usr/local/apache (--node / for the whole staging root)")
    let (series, algorithm, stagingRoot, nodes) = (checked.series, checked.algorithm, checked.stagingRoot, checked.nodes)
    guard let digester = makeDigester(named: request.digest) else {
      throw StoreError(.usage, "\(request.digest): digest not available on this system")
    }
    let storeInside = try storePathInside(stagingRoot)
    // The command file is read (and its transcripts opened) once before the lock, so that a
    // missing transcript or a syntax error is refused before anything is staged.
    _ = try LoadsetStore.commandFileListsBase(kfile)

    return try write { () throws(StoreError) -> CaptureResult in
      let names = try captureNames(series, request.version, nodes: nodes.count)
      var result = CaptureResult()
      var intent = Intent(operation: "capture \(series) --base \(LoadsetStore.escapedNewlines(kfile))")
      var checksums: [String] = []
      for (index, node) in nodes.enumerated() {
        let staged = try makeStagingDirectory("capture")
        let summary = try stageBaseDifference(node, name: names[index], type: series.type, kfile: kfile,
                                              stagingRoot: stagingRoot, storeInside: storeInside, digester: digester,
                                              algorithm: algorithm, into: staged, request: request)
        result.addStaged(names[index], staged: staged, files: summary.files, bytes: summary.bytes, entries: summary.entries,
                         notes: summary.notes, to: &intent)
        checksums.append(summary.checksum)
      }
      finishCaptureIntent(&intent, names: names, series: series, digest: request.digest, checksums: checksums, result: &result)
      try commit(intent)
      return result
    }
  }

  struct BaseSummary { var files = 0; var bytes: Int64 = 0; var entries = 0; var checksum = ""; var notes: [String] = [] }

  /// One node: fsdiff's creatable output into `staged/fsdiff`, then the loadset's transcript (in
  /// the capture's path form), its files (checked copies) and its metadata.
  func stageBaseDifference(_ node: [UInt8], name: LoadsetName, type: LoadsetType, kfile: String,
                           stagingRoot: [UInt8], storeInside: [UInt8]?, digester: ContentDigester,
                           algorithm: DigestAlgorithm, into staged: String,
                           request: CaptureRequest) throws(StoreError) -> BaseSummary {
    var summary = BaseSummary()
    let raw = staged + "/fsdiff"
    // fsdiff runs from the staging root on `./NODE` (relative form): the staging root stands for /.
    let path: [UInt8] = node == [0x2F] ? [0x2E] : [0x2E] + node
    try BaseDifference.run(kfile: kfile, path: path, excluding: storeInside, digester: digester,
                           directory: stagingRoot.isEmpty ? "/" : String(decoding: stagingRoot, as: UTF8.self),
                           output: raw)
    if let storeInside { summary.notes.append("skipped \(storeInside.shownPath): it is the store itself (\(root)); a store never captures its own files") }

    // Its lines, in the capture's form, with the files of changed and added objects.
    let reader: LineReader
    do { reader = try LineReader(regularFile: raw) } catch { throw .system(error) }
    let out: Int32
    do { out = try Syscall.open(staged + "/transcript", [.writeOnly, .create, .exclusive], mode: 0o644) } catch { throw .system(error) }
    defer { Syscall.closeQuietly(out) }
    let buffer = OutputBuffer(fd: out, name: staged + "/transcript")
    var parser = TranscriptLineParser()
    var copies = CheckedCopies(sourceRoot: stagingRoot, destinationRoot: Array((staged + "/file").utf8))
    copies.share = try checkedCopyShare(staged: staged, algorithm: algorithm, type: type)
    try sys(Syscall.makeDirectoryIfMissing(staged + "/file"))
    var first: [UInt8]?
    try StoreError.mappingScan(of: raw) {
      while let line = try reader.next() {
        var entry: Entry
        do { entry = try parser.parse(line) } catch { throw StoreError(.system, "\(raw): line \(reader.lineNumber): \(error)") }
        summary.entries += 1
        if first == nil { first = entry.path }
        if request.relative {
          try buffer.append(line)
          buffer.append(0x0A)
        } else {
          entry.path = PathForm.absolute.convert(entry.path)
          if entry.kind == .hardLink { entry.target = PathForm.absolute.convert(entry.target) }
          var bytes: [UInt8] = []
          LineWriter.append(entry, to: &bytes)
          try buffer.append(bytes)
        }
        guard entry.kind.hasContent, entry.prefix != .minus else { continue }
        summary.files += 1
        summary.bytes += entry.size
        copies.jobs.append(.init(path: entry.path, size: entry.size, checksum: type == .neg ? nil : entry.checksum))
      }
      try buffer.flush()
    }
    try? Syscall.unlink(Array(raw.utf8))
    let problems = try copies.run(algorithm: algorithm, threads: request.threads)
    if !problems.isEmpty {
      throw StoreError(.system, "capture of \(node.shownPath): \(problems.count) file(s) changed while they were captured: \(problems.prefix(10).joined(separator: "; ")); nothing published (capture again once the staging tree is quiet)")
    }
    summary.checksum = try AdoptScan.transcriptChecksum(staged + "/transcript", algorithm: algorithm)
    var meta = Metadata(name: name.fileName, type: type.rawValue, digest: request.digest, transcriptChecksum: summary.checksum,
                        entries: summary.entries, files: summary.files, bytes: summary.bytes)
    meta["paths"] = request.relative ? "relative" : "absolute"
    meta["node"] = node.shownPath
    meta["base"] = LoadsetStore.escapedNewlines(kfile)
    meta["staging-root"] = request.stagingRoot
    meta.stampCreation()
    try meta.write(to: staged + "/meta")
    _ = first
    return summary
  }

  /// The store's path in the staging root's relative form (`./srv/store`) when the store lies
  /// inside the staging root: fsdiff is told to exclude it.
  func storePathInside(_ stagingRoot: [UInt8]) throws(StoreError) -> [UInt8]? {
    guard let real = LoadsetStore.realPath(root) else { return nil }
    let store = Array(real.utf8)
    let prefix = stagingRoot.isEmpty ? [] : stagingRoot
    guard store.count > prefix.count, Array(store[..<prefix.count]) == prefix, store[prefix.count] == 0x2F else { return nil }
    let relative = [0x2E] + store[prefix.count...]
    if relative.contains(where: { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "\\") }) {
      throw StoreError(.usage, "the store \(root) lies inside the staging root and its path holds a wildcard character: keep the store outside the staging root")
    }
    return Array(relative)
  }
}

/// Runs the fsdiff engine in a thread of its own whose working directory is the staging root
/// (`unshare(CLONE_FS)`: the process's directory, and other threads', stay as they are).
enum BaseDifference {
  final class Job: @unchecked Sendable {
    let kfile: String, path: [UInt8], excluding: [UInt8]?, digester: ContentDigester, directory: String, output: String
    var failure: String?
    init(kfile: String, path: [UInt8], excluding: [UInt8]?, digester: ContentDigester, directory: String, output: String) {
      self.kfile = kfile; self.path = path; self.excluding = excluding; self.digester = digester
      self.directory = directory; self.output = output
    }

    func work() {
      do { try Syscall.unshareFilesystemContext() } catch { failure = "unshare(CLONE_FS): \(error.reason)"; return }
      do { try Syscall.chdir(directory) } catch { failure = "\(directory): \(error.reason)"; return }
      let fd: Int32
      do { fd = try Syscall.open(output, [.writeOnly, .create, .exclusive], mode: 0o644) } catch { failure = "\(output): \(error.reason)"; return }
      defer { Syscall.closeQuietly(fd) }
      do throws(CaptureError) {
        var loader = CommandFileLoader(form: .relative, order: .caseSensitive, checksumming: true)
        loader.report = nil
        loader.serverDirectory = LoadsetStore.serverDirectory(forCommandFile: kfile)
        var loaded = try loader.load(path: Array(kfile.utf8))
        if let excluding { loaded.excludes.append(excluding) }
        var options = FsdiffOptions()
        options.mode = .creatable
        options.digester = digester
        let out = OutputBuffer(fd: fd, name: output)
        let run = FsdiffRun(options: options, commandFile: loaded, out: out, messages: out)
        try run.run(path: path)
        do { try out.flush() } catch { throw CaptureError.system(Array(output.utf8), errno: error.errno) }
      } catch {
        failure = error.description
      }
    }
  }

  static func run(kfile: String, path: [UInt8], excluding: [UInt8]?, digester: ContentDigester,
                  directory: String, output: String) throws(StoreError) {
    // The command file is named as given, relative to the caller's directory: made absolute first.
    let absoluteK = kfile.hasPrefix("/") ? kfile : LoadsetStore.absolute(kfile)
    let job = Job(kfile: absoluteK, path: path, excluding: excluding, digester: digester, directory: directory, output: output)
    switch JoinableThread.start({ job.work() }) {
    case .success(let thread): thread.join()
    case .failure(let error): throw StoreError(.system, "pthread_create: \(error.reason)")
    }
    if let failure = job.failure { throw StoreError(.usage, "capture --base: \(failure)") }
  }
}
