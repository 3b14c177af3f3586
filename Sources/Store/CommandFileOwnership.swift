import SystemCalls
import TranscriptIO

/// Loadsmith writes only the command files it wrote: a hand-written one (an adopted radmind
/// server's, say) is never overwritten unless `command write --force` takes it over.
extension LoadsetStore {
  /// The first line of every command file Loadsmith writes (see ``TierCommandFile/text``).
  static func isLoadsmithHeader(_ text: Substring, fileName: String) -> Bool {
    text.hasPrefix("# \(fileName): tier ") && text.contains("written by loadsmith")
  }

  /// True unless `command/NAME` is a regular file Loadsmith did not write (anything else in its
  /// place is not a command file to keep: the rewrite reports it).
  func isWrittenByLoadsmith(commandFile name: String) -> Bool {
    let path = commandDirectory + "/" + name
    guard Syscall.kind(path) == .file else { return true }
    guard let text = try? RegularFile.readText(path) else { return false }
    return LoadsetStore.isLoadsmithHeader(text.split(separator: "\n", maxSplits: 1).first ?? "", fileName: name)
  }

  /// Refuses (before anything is written) to overwrite command files Loadsmith did not write,
  /// unless `force`: returns the files to take over (each a `takeover` step of the intent).
  func checkCommandFileOwnership(_ files: [TierCommandFile], force: Bool) throws(StoreError) -> [String] {
    let foreign = files.map(\.fileName).filter { !isWrittenByLoadsmith(commandFile: $0) }
    guard !foreign.isEmpty else { return [] }
    guard force else {
      throw StoreError(.usage, "\(foreign.map { "command/\($0)" }.joined(separator: ", ")): not written by loadsmith (hand-written, or kept by adopt): not overwritten, nothing changed; 'command write --force' takes \(foreign.count == 1 ? "it" : "them") over")
    }
    return foreign
  }

  /// Whether a rewrite of the tier command files may replace `command/NAME` now; a hand-written
  /// file not taken over is skipped, with a warning.
  func mayRewriteCommandFile(_ name: String) -> Bool {
    if commandFileTakeover.contains(name) || isWrittenByLoadsmith(commandFile: name) { return true }
    warn("command/\(name) was not written by loadsmith: left as it is ('command write --force' takes it over)")
    return false
  }
}
