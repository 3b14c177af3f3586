import Hashing
import Store

/// Foreign loadsets (names outside Loadsmith's scheme, indexed by `adopt` or `import`) in the
/// DSL. They have no family, component, type or version, so they sit in a folder of their own,
/// by their exact name, without tags:
///
///     DSL/foreign-loadsets/NAME.tar.gz            the loadset (transcript, meta, files)
///     DSL/foreign-loadsets/NAME.manifest.json
///
/// `foreign-loadsets` can never be a family (a family holds no `-`). An archive is written once
/// and never replaced, as every archive.
extension DSL {
  package static let foreignFolderName = "foreign-loadsets"

  package var foreignFolder: String { root + "/" + DSL.foreignFolderName }
  package func foreignArchivePath(_ loadset: String) -> String { foreignFolder + "/" + loadset + ".tar.gz" }
  package func foreignManifestPath(_ loadset: String) -> String { foreignFolder + "/" + loadset + ".manifest.json" }

  /// True when `archivePath` lies in a DSL's foreign folder (its manifest may name a foreign loadset).
  static func isForeignArchivePath(_ archivePath: String) -> Bool {
    let parts = archivePath.split(separator: "/")
    return parts.count >= 2 && parts[parts.count - 2] == Substring(foreignFolderName)
  }

  /// The archive of a foreign loadset: `reference` (with or without `.T`) as the DSL holds it.
  package func foreignArchive(named reference: String) -> String? {
    guard !reference.contains("/"), !reference.hasPrefix(".") else { return nil }
    return [reference, reference + ".T"].map(foreignArchivePath).first { LibraryFiles.exists($0) && LibraryFiles.exists(DSL.manifestPath(forArchive: $0)) }
  }

  /// `archive NAME` of a foreign loadset of `store` into `DSL/foreign-loadsets/NAME.tar.gz`, its
  /// stored files checked against the transcript on the way (as any archive). An already
  /// archived one is left as it is.
  package func archiveForeign(_ loadset: String, from store: LoadsetStore, threads: Int = 2, level: Int = 5,
                             signingKey: SigningKey? = nil) throws(LibraryError) -> ArchiveOutcome {
    guard let paths = store.foreignLoadsetPaths(loadset) else {
      throw LibraryError(.usage, "\(loadset): no such foreign loadset in \(store.root)")
    }
    let archivePath = foreignArchivePath(paths.name), manifestPath = foreignManifestPath(paths.name)
    let folderLock = try ArchiveFolderLock(folder: foreignFolder)
    defer { folderLock.release() }
    if LibraryFiles.exists(archivePath) && LibraryFiles.exists(manifestPath) {
      return ArchiveOutcome(manifest: try readManifest(manifestPath), archivePath: archivePath, alreadyArchived: true, tag: nil)
    }
    let type = LoadsetType(rawValue: store.metadata(of: paths.name)?["type"] ?? "") ?? .bin
    return try archiveStored(ArchivedParts(
      loadset: paths.name, type: type == .neg ? .neg : .bin, transcriptPath: paths.transcript, metaPath: paths.meta,
      fileDirectory: paths.files, folder: foreignFolder, archivePath: archivePath, manifestPath: manifestPath,
      archiveName: paths.name + ".tar.gz", parent: nil), from: store, threads: threads, level: level, signingKey: signingKey)
  }
}
