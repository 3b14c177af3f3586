import SystemCalls
import Hashing
import RadmindFormat
import TranscriptIO

/// What `loadsmith import` was asked to do.
package struct ImportRequest: Sendable {
  /// A transcript made elsewhere (radmind's `fsdiff`, an `lcreate` upload left in `tmp/`).
  package var transcript: String
  /// Where its files are, laid out as `file/NAME/` is (DIR + transcript path).
  package var files: String
  /// A Loadsmith loadset name (`was-apache-bin-rhel5-001.001.T`) or a foreign one (`base.T`).
  package var name: String
  package var threads = OrderedHashPool.availableCPUs

  package init(transcript: String, files: String, name: String) {
    self.transcript = transcript
    self.files = files
    self.name = name
  }
}

package struct ImportResult: Sendable {
  package var name = ""
  package var foreign = false
  package var digest = ""
  package var entries = 0
  package var files = 0
  package var bytes: Int64 = 0
}

extension LoadsetStore {
  /// `loadsmith import`: the local equivalent of `lcreate`. The transcript is read (syntax,
  /// order, safe paths), every file it lists is copied from `files` into staging while its size
  /// and checksum are checked, and only when all match is the loadset published (one intent, as
  /// a capture). A neg loadset stores zero-length files, as `lcreate -N`. Nothing is published
  /// on any problem, and the store is as it was.
  package func importTranscript(_ request: ImportRequest) throws(StoreError) -> ImportResult {
    var result = ImportResult()
    let parsed = try? LoadsetName(parsing: request.name)
    if let parsed {
      if parsed.isPointer { throw StoreError(.usage, "\(request.name): a pointer name; import under an immutable loadset's name (a build, node loadset or snapshot)") }
      result.name = parsed.fileName
    } else {
      if let why = LoadsetStore.foreignNameProblem(request.name) { throw StoreError(.usage, "\(request.name): \(why)") }
      result.name = request.name
      result.foreign = true
    }
    let type = parsed?.series.type ?? .bin
    guard Syscall.kind(request.transcript) == .file else {
      throw StoreError(.usage, "\(request.transcript): \(RegularFile.typeIfNotRegular(request.transcript).map { "is \($0), not a regular file" } ?? "no such transcript")")
    }
    guard let filesRoot = LoadsetStore.realPath(request.files), Syscall.kind(filesRoot) == .directory else {
      throw StoreError(.usage, "--files \(request.files): not a directory")
    }
    let name = result.name
    return try write { () throws(StoreError) -> ImportResult in
      if Syscall.exists(transcriptPath(name)) {
        throw StoreError(.usage, "\(name) exists in \(root): published loadsets are immutable; import under another name")
      }
      let staged = try makeStagingDirectory("import")
      try sys(Syscall.makeDirectoryIfMissing(staged + "/file"))
      var copies = CheckedCopies(sourceRoot: Array(filesRoot.utf8), destinationRoot: Array((staged + "/file").utf8))
      let scan = try AdoptScan(name: request.transcript, transcriptPath: request.transcript, fileRoot: staged + "/file", statFiles: false) { entry in
        copies.jobs.append(.init(path: entry.path, size: entry.size, checksum: type == .neg ? nil : entry.checksum))
      }
      if let problem = scan.digestProblems.first { throw StoreError(.usage, "\(problem): nothing imported") }
      if type != .neg && scan.files > 0 && scan.digest == "none" {
        throw StoreError(.usage, "\(request.transcript): no checksums: its files cannot be checked (make it with fsdiff -c sha1); nothing imported")
      }
      let digest = scan.digest == "none" ? "sha1" : scan.digest
      let algorithm: DigestAlgorithm
      do { algorithm = try DigestAlgorithm(named: digest) } catch { throw StoreError(.usage, "\(error)") }
      if let missing = copies.jobs.first(where: { $0.checksum == Entry.noChecksum }) {
        throw StoreError(.usage, "\(request.transcript): \(missing.path.shownPath) has no checksum: its file cannot be checked; nothing imported")
      }
      copies.share = try checkedCopyShare(staged: staged, algorithm: algorithm, type: type)
      let problems = try copies.run(algorithm: algorithm, threads: request.threads)
      if !problems.isEmpty {
        let shown = problems.prefix(20).joined(separator: "; ") + (problems.count > 20 ? "; and \(problems.count - 20) more" : "")
        throw StoreError(.usage, "import of \(request.transcript) from \(request.files): \(problems.count) file(s) do not match the transcript: \(shown); nothing imported")
      }
      try LoadsetStore.copyFile(request.transcript, to: staged + "/transcript")
      let checksum = try AdoptScan.transcriptChecksum(staged + "/transcript", algorithm: algorithm)
      var meta = Metadata(name: name, type: type.rawValue, digest: digest, transcriptChecksum: checksum,
                          entries: scan.entries, files: scan.files, bytes: scan.bytes)
      meta["paths"] = scan.relative ? "relative" : "absolute"
      if let parsed, let first = scan.firstPath {
        switch parsed { case .node, .snapshot: meta["node"] = PathForm.absolute.convert(first).shownPath; default: break }
      }
      meta["origin"] = result.foreign ? "foreign" : "imported"
      meta["imported-from"] = LoadsetStore.escapedNewlines(request.transcript)
      meta.stampCreation()
      try meta.write(to: staged + "/meta")
      var intent = Intent(operation: "import \(name)")
      intent.actions.append(.publish(staged: String(staged.split(separator: "/").last!), name: name))
      intent.actions.append(.log(event: "publish", name: name, from: "-", to: "-",
                                 checksum: HistoryRecord.checksumField(digest: digest, checksum)))
      try commit(intent)
      result.digest = digest
      result.entries = scan.entries
      result.files = scan.files
      result.bytes = scan.bytes
      return result
    }
  }

  /// Copies a regular file byte for byte (no fsync: staging is synced before publishing).
  static func copyFile(_ source: String, to destination: String) throws(StoreError) {
    let fd: Int32
    do { fd = try RegularFile.openForReading(source) } catch { throw .system(error) }
    defer { Syscall.closeQuietly(fd) }
    let out: Int32
    do { out = try Syscall.open(destination, [.writeOnly, .create, .exclusive], mode: 0o644) } catch { throw .system(error) }
    defer { Syscall.closeQuietly(out) }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
    defer { buffer.deallocate() }
    while true {
      let n: Int
      do { n = try Syscall.read(fd, into: buffer, path: source) } catch { throw .system(error) }
      if n == 0 { return }
      try sys(Syscall.writeAll(out, Array(buffer[0..<n]), path: destination))
    }
  }
}
