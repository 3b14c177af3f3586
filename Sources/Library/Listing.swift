import SystemCalls

/// One archive as `dsl list` shows it.
package struct ListedArchive: Sendable {
  /// `FAMILY/COMPONENT/TYPE/NAME-VERSION.tar.gz`, relative to the DSL.
  package var path: String
  /// nil when the manifest is missing or unreadable (`problem` says which).
  package var manifest: Manifest?
  package var problem: String?
  package var tags: [String]
  /// The signature check against the DSL's trusted keys (nil: no manifest to check).
  package var signature: ManifestSignature.Status? = nil
}

/// What `dsl list` shows.
package struct DSLListing: Sendable {
  package var archives: [ListedArchive] = []
  /// Entries of `protected/`; nil when the caller cannot read it (it is then not mentioned at all).
  package var protectedEntries: [String]?

  package var text: String {
    var out = ""
    for a in archives {
      if let m = a.manifest {
        out += "\(a.path)  \(m.loadset)  \(m.files) files  \(m.bytes) bytes  \(m.archiveBytes) archived  \(m.created)  \(m.who)"
      } else {
        out += "\(a.path)  (\(a.problem ?? "no manifest"))"
      }
      if let signature = a.signature { out += "  " + (signature == .unsigned ? "unsigned" : signature.description) }
      if !a.tags.isEmpty { out += "  tags: " + a.tags.joined(separator: ", ") }
      out += "\n"
    }
    if let protectedEntries {
      for p in protectedEntries { out += "protected/\(p)\n" }
    }
    return out
  }

  package var json: String {
    var items: [String] = []
    for a in archives {
      var fields = ["\"path\": " + JSON.quote(a.path)]
      if let m = a.manifest {
        fields += m.fields.filter { $0.0 != "format" }.map { JSON.quote($0.0) + ": " + $0.1.json }
      } else {
        fields.append("\"problem\": " + JSON.quote(a.problem ?? "no manifest"))
      }
      if let signature = a.signature {
        fields.append("\"signer\": " + (signature.signer.map(JSON.quote) ?? "null"))
        fields.append("\"signature_verified\": " + (signature.isVerified ? "true" : "false"))
        fields.append("\"signature\": " + JSON.quote(signature.description))
      }
      fields.append("\"tags\": [" + a.tags.map(JSON.quote).joined(separator: ", ") + "]")
      items.append("    {" + fields.joined(separator: ", ") + "}")
    }
    var out = "{\n  \"archives\": [\n" + items.joined(separator: ",\n") + (items.isEmpty ? "" : "\n") + "  ]"
    if let protectedEntries {
      out += ",\n  \"protected\": [" + protectedEntries.map(JSON.quote).joined(separator: ", ") + "]"
    }
    return out + "\n}\n"
  }
}

extension DSL {
  /// Every archive with its manifest and tags, and the protected area if the caller may read it.
  package func list() throws(LibraryError) -> DSLListing {
    var listing = DSLListing()
    let trusted = (try? signaturePolicy(extraTrustedKeys: nil, allowUnsigned: false))?.trusted ?? []
    for path in try archives() {
      let (folder, file) = BytePath.split(path)
      let stem = String(file.dropLast(7))
      var item = ListedArchive(path: String(path.dropFirst(root.count + 1)), manifest: nil, problem: nil,
                               tags: try tags(folder: folder, stem: stem))
      let manifestPath = DSL.manifestPath(forArchive: path)
      do throws(LibraryError) {
        item.manifest = try readManifest(manifestPath)
        if let bytes = try LibraryFiles.readFile(manifestPath, limit: Manifest.maxFileBytes) {
          let signatureFile = try LibraryFiles.readFile(ManifestSignature.path(forManifest: manifestPath), limit: 4096)
          item.signature = ManifestSignature.check(manifest: bytes, signatureFile: signatureFile, trusted: trusted)
        }
      } catch {
        item.problem = error.message
      }
      listing.archives.append(item)
    }
    // Restricted material is not even named to someone who cannot read the area.
    if Syscall.accessProblem(Array(protectedDirectory.utf8), read: true, execute: true) == nil {
      listing.protectedEntries = try LibraryFiles.list(protectedDirectory).filter { !$0.hasPrefix(".") }
    }
    return listing
  }
}
