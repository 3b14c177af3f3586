import SystemCalls
import TranscriptIO

/// A radmind server tree with Loadsmith's versioning on top.
///
///     STORE/transcript/NAME.T            every loadset's transcript; pointers are symlinks here
///     STORE/file/NAME.T/<decoded path>   every loadset's files, as radmind's server and lcksum expect
///     STORE/command/*.K                  per-tier command files (`command write`)
///     STORE/.loadsmith/                  our state: format, lock, history.log, intent, meta/, lkg/,
///                                        tiers, tmp/ (loadsets being staged)
///
/// Writers (capture, build, release, promote, rollback, command write) take an exclusive `flock`
/// on `.loadsmith/lock` for their whole run, so they serialize; readers (status, log, diff,
/// verify) never lock and never block. Every writer first finishes any interrupted change it
/// finds (see ``Intent``) and removes the leftovers of interrupted staging.
///
/// - Important: Published loadsets are immutable. Nothing in this type deletes a loadset; a
///   future prune must keep every loadset a pointer, a command file or last-known-good names
///   (``protectedLoadsets()``).
package final class LoadsetStore: @unchecked Sendable {
  /// The store's root, absolute.
  package let root: String
  var lockDescriptor: Int32 = -1
  /// Where an operation says what a person should know without failing (the CLI prints it to
  /// standard error as it happens); nil drops it. Results are returned, never left on the store.
  package var warningHandler: (@Sendable (String) -> Void)?
  /// How long a writer waits for the store lock (nil: for ever) and where it says that it waits.
  package var lockTimeout: Double?
  package var lockWaitNotice: (@Sendable (String) -> Void)?
  /// Hand-written command files the intent being applied takes over (its `takeover` steps).
  var commandFileTakeover: Set<String> = []

  package static let formatLine = "loadsmith-store 1"

  var transcriptDirectory: String { root + "/transcript" }
  var fileDirectory: String { root + "/file" }
  var commandDirectory: String { root + "/command" }
  var stateDirectory: String { root + "/.loadsmith" }
  var temporaryDirectory: String { stateDirectory + "/tmp" }
  var metaDirectory: String { stateDirectory + "/meta" }
  var lastKnownGoodDirectory: String { stateDirectory + "/lkg" }
  var intentPath: String { stateDirectory + "/intent" }
  var historyPath: String { stateDirectory + "/history.log" }
  var lockPath: String { stateDirectory + "/lock" }
  var tierMapPath: String { stateDirectory + "/tiers" }

  /// Opens an existing store (one that `loadsmith init` made).
  package init(at path: String) throws(StoreError) {
    root = LoadsetStore.absolute(path)
    guard Syscall.kind(root) == .directory else {
      throw StoreError(.store, "\(root): no such store directory (run 'loadsmith init \(path)')")
    }
    guard let format = try sys(RegularFile.readText(stateDirectory + "/format")) else {
      throw StoreError(.store, "\(root): not a loadsmith store (no .loadsmith/format; run 'loadsmith init')")
    }
    guard format.hasPrefix(LoadsetStore.formatLine) else {
      throw StoreError(.store, "\(root): unknown store format '\(format.split(separator: "\n").first ?? "")'")
    }
  }

  deinit { unlock() }

  /// Creates the store layout at `path` (which may exist, holding a radmind tree) and returns the
  /// store. Idempotent: existing folders and state are kept.
  @discardableResult
  package static func initialize(at path: String) throws(StoreError) -> LoadsetStore {
    let root = absolute(path)
    try sys(Syscall.makeDirectories(Array(root.utf8)))
    // The folders radmind's daemon creates on start-up (§11.1), and ours.
    for dir in ["transcript", "file", "command", "special", "tmp", "tmp/file", "tmp/transcript",
                ".loadsmith", ".loadsmith/tmp", ".loadsmith/meta", ".loadsmith/lkg"] {
      try sys(Syscall.makeDirectoryIfMissing(root + "/" + dir))
    }
    let state = root + "/.loadsmith"
    if !Syscall.exists(state + "/tiers") {
      try sys(AtomicFile.replace(state + "/tiers", with: TierMap.defaultText))
    }
    do {
      Syscall.closeQuietly(try Syscall.open(state + "/history.log", [.writeOnly, .create, .append], mode: 0o644))
      Syscall.closeQuietly(try Syscall.open(state + "/lock", [.writeOnly, .create], mode: 0o644))
    } catch { throw .system(error) }
    if !Syscall.exists(state + "/format") {
      try sys(AtomicFile.replace(state + "/format", with: formatLine + "\n"))
    }
    return try LoadsetStore(at: root)
  }

  static func absolute(_ path: String) -> String {
    var p = path
    if !p.hasPrefix("/") {
      let cwd = Syscall.workingDirectory().map { String(decoding: $0, as: UTF8.self) } ?? "."
      p = p == "." ? cwd : cwd + "/" + p
    }
    while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
    if p.hasSuffix("/.") { p.removeLast(2) }
    return p
  }

  /// Hands `message` to ``warningHandler``.
  func warn(_ message: String) { warningHandler?(message) }

  // MARK: Locking

  /// Runs `body` holding the store's exclusive writer lock, after finishing any interrupted change
  /// and removing staging leftovers. The lock is a `flock` on `.loadsmith/lock`: the kernel drops
  /// it when the process dies, so a crash never leaves the store locked.
  func write<R>(_ body: () throws(StoreError) -> R) throws(StoreError) -> R {
    try lock()
    defer { unlock() }
    try recover()
    do {
      return try body()
    } catch {
      // Refused or failed before its intent record: drop what it staged, so the store is as it
      // was. (With a record pending, the staged loadsets belong to it and the next run finishes it.)
      if !Syscall.exists(intentPath) { try? removeLeftovers() }
      throw error
    }
  }

  func lock() throws(StoreError) {
    guard lockDescriptor < 0 else { return }
    let fd: Int32
    do { fd = try Syscall.open(lockPath, [.readWrite, .create], mode: 0o644) } catch { throw .system(error) }
    do { try acquireLock(fd) } catch { Syscall.closeQuietly(fd); throw error }
    lockDescriptor = fd
  }

  /// Takes the writer lock only if nobody holds it; true when taken.
  func tryLock() -> Bool {
    guard lockDescriptor < 0 else { return true }
    guard let fd = try? Syscall.open(lockPath, [.readWrite]) else { return false }
    if (try? Syscall.flock(fd, exclusive: true, nonBlocking: true, path: lockPath)) == nil { Syscall.closeQuietly(fd); return false }
    lockDescriptor = fd
    return true
  }

  func unlock() {
    if lockDescriptor >= 0 {
      Syscall.closeQuietly(lockDescriptor)  // releases the flock
      lockDescriptor = -1
    }
  }

  // MARK: Paths of loadsets

  func transcriptPath(_ name: String) -> String { transcriptDirectory + "/" + name }
  func fileRoot(_ name: String) -> String { fileDirectory + "/" + name }
  func metaPath(_ name: String) -> String { metaDirectory + "/" + name }

  /// True when the loadset's transcript is published (a pointer counts only if it resolves).
  package func isPublished(_ name: LoadsetName) -> Bool {
    let path = transcriptPath(name.fileName)
    return name.isPointer ? Syscall.kind(path) == .symlink && Syscall.accessProblem(Array(path.utf8)) == nil
                          : Syscall.kind(path) == .file
  }

  /// What the pointer `name` resolves to (the immutable loadset's file name), or nil if unset.
  package func pointerTarget(_ name: LoadsetName) -> String? {
    Syscall.symlinkTarget(transcriptPath(name.fileName))
  }

  /// Every loadset name published in `transcript/` (pointers included), parsed; foreign files are
  /// returned in `foreign`.
  func publishedNames() throws(StoreError) -> (names: [LoadsetName], foreign: [String]) {
    var names: [LoadsetName] = []
    var foreign: [String] = []
    for entry in try sys(Syscall.listDirectoryNames(transcriptDirectory)) where !entry.hasPrefix(".") {
      if let name = try? LoadsetName(parsing: entry), name.fileName == entry {
        names.append(name)
      } else {
        foreign.append(entry)
      }
    }
    return (names, foreign)
  }

  /// The builds of `series`, oldest first.
  package func builds(of series: LoadsetSeries) throws(StoreError) -> [LoadsetVersion] {
    LoadsetStore.builds(of: series, in: try publishedNames().names)
  }

  /// The builds of `series` among `names`, oldest first.
  static func builds(of series: LoadsetSeries, in names: [LoadsetName]) -> [LoadsetVersion] {
    var versions: [LoadsetVersion] = []
    for name in names {
      if case .build(let s, let v) = name, s == series { versions.append(v) }
    }
    return versions.sorted()
  }

  /// Every version of `series` that has node loadsets, with its node numbers.
  func nodeVersions(of series: LoadsetSeries) throws(StoreError) -> [LoadsetVersion: [Int]] {
    var out: [LoadsetVersion: [Int]] = [:]
    for name in try publishedNames().names {
      if case .node(let s, let v, let n) = name, s == series { out[v, default: []].append(n) }
    }
    return out.mapValues { $0.sorted() }
  }

  /// The cfg snapshots of `series`, oldest first.
  package func snapshots(of series: LoadsetSeries) throws(StoreError) -> [Int] {
    var numbers: [Int] = []
    for name in try publishedNames().names {
      if case .snapshot(let s, let n) = name, s == series { numbers.append(n) }
    }
    return numbers.sorted()
  }

  /// The build that `current` pointed at before the latest release, if any.
  package func lastKnownGood(of series: LoadsetSeries) throws(StoreError) -> String? {
    try sys(RegularFile.readText(lastKnownGoodDirectory + "/" + series.description))?
      .split(separator: "\n").first.map(String.init)
  }

  /// Loadsets nothing may delete: every pointer's target, every last-known-good, every tier pin,
  /// and every transcript a command file names.
  package func protectedLoadsets() throws(StoreError) -> Set<String> {
    var out: Set<String> = []
    for name in try publishedNames().names where name.isPointer {
      if let t = pointerTarget(name) { out.insert(t) }
    }
    for entry in (try? Syscall.listDirectoryNames(lastKnownGoodDirectory)) ?? [] where !entry.hasPrefix(".") {
      if let s = try? LoadsetSeries(parsing: entry), let lkg = try lastKnownGood(of: s) { out.insert(lkg) }
    }
    for pin in allPins() { out.insert(pin.target) }
    // Every command file the server reads, subfolders included (radmind's `k sub/x.K`).
    for k in commandFilePaths() {
      for line in (try sys(RegularFile.readText(commandDirectory + "/" + k)) ?? "").split(separator: "\n") {
        let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if f.count == 2, f[0] == "p" || f[0] == "n" { out.insert(String(f[1])) }
      }
    }
    return out
  }

  // MARK: Metadata

  /// What the store records about one published loadset (`.loadsmith/meta/NAME.T`).
  package struct Metadata: Sendable {
    package var fields: [(String, String)] = []
    package subscript(key: String) -> String? {
      get { fields.first { $0.0 == key }?.1 }
      set {
        fields.removeAll { $0.0 == key }
        if let newValue { fields.append((key, newValue)) }
      }
    }
    package var digest: String { self["digest"] ?? "sha1" }
    package var text: String { fields.map { "\($0.0) \($0.1)\n" }.joined() }
    package init() {}
    package init(text: String) {
      for line in text.split(separator: "\n") {
        guard let space = line.firstIndex(of: " ") else { continue }
        fields.append((String(line[..<space]), String(line[line.index(after: space)...])))
      }
    }
  }

  package func metadata(of name: String) -> Metadata? {
    guard let text = try? RegularFile.readText(metaPath(name)) else { return nil }
    return Metadata(text: text)
  }
}
