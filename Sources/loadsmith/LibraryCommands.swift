import ArgumentParser
import Library
import Store
import TranscriptIO

/// `--dsl DIR`, shared by the DSL commands: else the DSL the store records (`init --dsl`).
struct DSLOptions: ParsableArguments {
  @Option(help: "The DSL directory (default: the one recorded with 'loadsmith init --dsl').")
  var dsl: String?

  /// The DSL to use, or nil when none is given or recorded.
  func resolve(store: LoadsetStore?) -> String? { dsl ?? store?.dslDirectory }

  func open(store: LoadsetStore?) throws -> DSL {
    guard let path = resolve(store: store) else {
      StandardStreams.writeError("loadsmith: no DSL: pass --dsl DIR, or record one with 'loadsmith init --dsl DIR'\n")
      throw ExitCode(2)
    }
    return try reportingLibraryErrors { () throws(LibraryError) in try DSL.open(at: path) }
  }
}

/// Which signatures `restore` and `dsl verify` accept.
struct TrustOptions: ParsableArguments {
  @Option(help: "Also trust the public keys in this file (one NAME:BASE64 per line), besides the DSL's trusted-keys.")
  var trustedKeys: String?
  @Flag(help: "Accept an archive without a signature (made before signing was set up), and say so.")
  var allowUnsigned = false

  func policy(for dsl: DSL) throws -> SignaturePolicy {
    try reportingLibraryErrors { () throws(LibraryError) in
      try dsl.signaturePolicy(extraTrustedKeys: trustedKeys, allowUnsigned: allowUnsigned)
    }
  }
}

/// The DSL an archive path lies in: the directory above FAMILY/COMPONENT/TYPE/ (for its trusted-keys).
func dslContaining(archive path: String) -> DSL {
  var parts = path.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(min(parts.count, 4))
  let root = parts.joined(separator: "/")
  return DSL(at: root.isEmpty ? (path.hasPrefix("/") ? "/" : ".") : root)
}

/// Runs `body`; a ``LibraryError`` is printed as `loadsmith: MESSAGE` and the command exits 2.
func reportingLibraryErrors<R>(_ body: () throws(LibraryError) -> R) throws -> R {
  do {
    return try body()
  } catch {
    StandardStreams.writeError("loadsmith: \(error.message)\n")
    throw ExitCode(2)
  }
}

/// `loadsmith archive NAME@VERSION`.
struct ArchiveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "archive",
    abstract: "Archive a loadset into the DSL (tar.gz + manifest) and tag it Release-VERSION-yyyymmdd.",
    discussion: """
      NAME is a store reference: was-apache-bin-rhel5@001.001, was-apache-cfg@0002, a loadset name, or a \
      pointer (was-apache-bin-rhel5-current, was-apache-cfg-stable), archived as the loadset it names. \
      A foreign loadset (a name outside Loadsmith's scheme, from adopt or import) is archived by its name \
      into DSL/foreign-loadsets/NAME.tar.gz, without a tag. \
      Every stored file is checked against the transcript on the way. An archived loadset is left as it is.
      """)
  @OptionGroup var options: StoreOptions
  @OptionGroup var display: ProgressOptions
  @OptionGroup var dslOptions: DSLOptions
  @Option(help: "Compression threads.") var threads = 2
  @Option(help: "zlib compression level, 1-9 (5: ~1% larger than gzip's 6 for ~25% less CPU).") var level = 5
  @Argument(help: "The loadset to archive.") var name: String

  func validate() throws {
    if !(1...9).contains(level) { throw ValidationError("--level must be 1 to 9") }
  }

  func run() throws {
    display.start()
    let store = try options.open()
    let dsl = try dslOptions.open(store: store)
    if let foreign = store.foreignLoadsetPaths(name) {
      let outcome = try reportingLibraryErrors { () throws(LibraryError) in
        try dsl.archiveForeign(foreign.name, from: store, threads: max(1, threads), level: level, signingKey: try DSL.signingKey(for: store))
      }
      printArchived(foreign.name, outcome)
      return
    }
    let loadset = try reportingStoreErrors { () throws(StoreError) in try store.loadsetName(forReference: name) }
    let outcome = try reportingLibraryErrors { () throws(LibraryError) in
      try dsl.archive(loadset, from: store, threads: max(1, threads), level: level, signingKey: try DSL.signingKey(for: store))
    }
    printArchived(loadset.fileName, outcome)
  }

  func printArchived(_ loadset: String, _ outcome: ArchiveOutcome) {
    if outcome.alreadyArchived {
      print("\(loadset) is already archived: \(outcome.archivePath)")
    } else {
      let m = outcome.manifest
      print("archived \(loadset): \(outcome.archivePath) (\(m.files) files, \(m.bytes) bytes -> \(m.archiveBytes) bytes, sha256 \(m.archiveSHA256))")
      if let key = m.signingKey { print("signed by \(key)") }
      if let tag = outcome.tag { print("tag \(tag)") }
    }
  }
}

/// `loadsmith restore ARCHIVE`.
struct RestoreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "restore",
    abstract: "Put an archived loadset back into a store, atomically, verifying every file first.",
    discussion: """
      A store directory that does not exist yet (or is empty) is initialized first. A foreign loadset is \
      restored by its name (its archive DSL/foreign-loadsets/NAME.tar.gz, in --dsl or the store's DSL), under \
      that name, byte for byte; a store holding it already with the same transcript is left as it is, one \
      with a different transcript refuses.
      """)
  @OptionGroup var options: StoreOptions
  @OptionGroup var display: ProgressOptions
  @OptionGroup var trust: TrustOptions
  @OptionGroup var dslOptions: DSLOptions
  @Argument(help: "The archive, DSL/FAMILY/COMPONENT/TYPE/NAME-VERSION.tar.gz (its manifest beside it), or a foreign loadset's name.")
  var archive: String

  func run() throws {
    display.start()
    let path = options.path
    let store = try reportingStoreErrors { () throws(StoreError) in try LoadsetStore.openOrInitialize(at: path) }
    var archive = self.archive
    if !archive.contains("/"),
       let found = dslOptions.resolve(store: store).flatMap({ DSL(at: $0).foreignArchive(named: archive) }) {
      archive = found
    }
    let policy = try trust.policy(for: dslContaining(archive: archive))
    let outcome: RestoreOutcome
    do {
      outcome = try DSL.restore(archive: archive, into: store, policy: policy)
    } catch {
      StandardStreams.writeError("loadsmith: \(error.message)\n")
      throw ExitCode(error.message.contains(": refused: ") ? 1 : 2)
    }
    print(outcome.signature == .unsigned ? "note: \(archive) is unsigned; restored because --allow-unsigned was given" : "signature: \(outcome.signature)")
    if outcome.unchanged {
      print("\(outcome.loadset) is in \(outcome.store) already, with the same transcript: nothing changed (all \(outcome.files) archived files verified)")
    } else {
      print("restored \(outcome.loadset) into \(outcome.store) (\(outcome.files) files, \(outcome.bytes) bytes, all verified)")
    }
  }
}

/// `loadsmith prune SERIES --keep N`.
struct PruneCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "prune",
    abstract: "Remove old builds from the store that are archived and verified in the DSL and referenced by nothing.",
    discussion: """
      Keeps the newest N builds (cfg: snapshots), every pointer target, last-known-good, and everything a \
      command file names; a removed build takes its node loadsets with it. Decision and removal run under \
      the store's lock, as one crash-safe step.
      """)
  @OptionGroup var options: StoreOptions
  @OptionGroup var display: ProgressOptions
  @OptionGroup var dslOptions: DSLOptions
  @Option(help: "How many of the newest builds to keep regardless.") var keep: Int
  @Flag(help: "Show the plan; remove nothing.") var dryRun = false
  @Argument(help: "The series, e.g. was-apache-bin-rhel5 or was-apache-cfg.") var series: String

  func run() throws {
    display.start()
    let store = try options.open()
    let dsl = try dslOptions.open(store: store)
    let plan = try reportingStoreErrors { () throws(StoreError) in
      try store.prune(series, keep: keep, dryRun: dryRun) { dsl.archivedAndVerified($0) }
    }
    let decisions = plan.decisions
    for d in decisions { print((dryRun && d.keptBecause == nil ? "would " : "") + d.description) }
    let removed = decisions.filter { $0.keptBecause == nil }.count
    print(dryRun ? "dry run: \(removed) build(s) would be removed, freeing \(plan.bytesFreed) bytes"
      : "removed \(removed) build(s), freed \(plan.bytesFreed) bytes")
  }
}

/// `loadsmith dsl list|verify|add`.
struct DSLGroup: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dsl",
    abstract: "The Definitive Software Library: list, verify, add protected material.",
    subcommands: [List.self, VerifyArchives.self, Add.self])

  /// The store, if one can be opened (only for the DSL it records).
  static func optionalStore(_ options: StoreOptions) -> LoadsetStore? {
    try? LoadsetStore(at: options.path)
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Every archive with its manifest (files, bytes, created, who) and tags; the protected area if readable.")
    @OptionGroup var options: StoreOptions
    @OptionGroup var dslOptions: DSLOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
      let dsl = try dslOptions.open(store: DSLGroup.optionalStore(options))
      let listing = try reportingLibraryErrors { () throws(LibraryError) in try dsl.list() }
      print(json ? listing.json : listing.text, terminator: "")
    }
  }

  struct VerifyArchives: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "verify",
      abstract: "Re-read archives: manifest and sha256, gzip CRC, tar structure, every file against the transcript inside.",
      discussion: "Exit status: 0 all verified, 1 problems found (each listed), 2 error.")
    @OptionGroup var options: StoreOptions
    @OptionGroup var display: ProgressOptions
    @OptionGroup var dslOptions: DSLOptions
    @OptionGroup var trust: TrustOptions
    @Argument(help: "One archive (default: every archive in the DSL).") var archive: String?

    func run() throws {
      display.start()
      let paths: [String]
      var problems = 0
      let policy: SignaturePolicy
      if let archive {
        paths = [archive]
        let store = DSLGroup.optionalStore(options)
        let dsl = dslOptions.resolve(store: store) == nil ? dslContaining(archive: archive) : try dslOptions.open(store: store)
        policy = try trust.policy(for: dsl)
      } else {
        let dsl = try dslOptions.open(store: DSLGroup.optionalStore(options))
        policy = try trust.policy(for: dsl)
        paths = try reportingLibraryErrors { () throws(LibraryError) in try dsl.archives() }
        let leftovers = try reportingLibraryErrors { () throws(LibraryError) in try dsl.leftoverTemporaries() }
        for path in leftovers { print("\(path): temporary left by an interrupted archive (the next archive into this folder removes it)") }
        problems += leftovers.count
      }
      for path in paths {
        let result = DSL.verify(archive: path, policy: policy)
        if result.signature == .unsigned { print("note: \(path): unsigned, accepted because --allow-unsigned was given") }
        for p in result.problems { print(p) }
        problems += result.problems.count
        print("\(result.problems.isEmpty ? "verified" : "INCORRECT"): \(path): \(result.loadset), \(result.files) files, \(result.bytes) bytes")
      }
      print("\(paths.count) archive(s), \(problems) problem(s)")
      if problems > 0 { throw ExitCode(1) }
    }
  }

  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Add a file to the DSL's protected area (mode 0700; licenses and other restricted material).")
    @OptionGroup var options: StoreOptions
    @OptionGroup var dslOptions: DSLOptions
    @Flag(help: "Store in DSL/protected/ (required: the only area files are added to by hand).") var protected = false
    @Argument(help: "The file to add.") var file: String

    func validate() throws {
      if !protected { throw ValidationError("only protected material is added by hand: pass --protected") }
    }

    func run() throws {
      let dsl = try dslOptions.open(store: DSLGroup.optionalStore(options))
      let stored = try reportingLibraryErrors { () throws(LibraryError) in try dsl.addProtected(file) }
      print("added \(stored)")
    }
  }
}
