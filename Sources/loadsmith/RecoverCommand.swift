import ArgumentParser
import Store
import TranscriptIO

/// `loadsmith recover`: finishes or undoes a pending change that writers could not finish.
struct Recover: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Finish or undo a pending store change that could not be finished.",
    discussion: """
      Under the writer lock: if a change is pending (.loadsmith/intent) and every part it needs is there, \
      it is finished; otherwise it is undone (staged loadsets withdrawn, pointers and last-known-good put \
      back, command files rewritten) and the undo is logged. Staging leftovers are removed. Exits 0 when \
      the store is left consistent; non-zero, with the reason, when a step fails (fix the cause, e.g. free \
      disk space, and run it again).
      """)
  @OptionGroup var options: StoreOptions

  func run() throws {
    let store = try options.open()
    let report = try reportingStoreErrors { () throws(StoreError) in try store.recoverPending() }
    for line in report { print(line) }
  }
}
