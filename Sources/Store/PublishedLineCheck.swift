import RadmindFormat
import TranscriptIO

/// The checks a store reader makes of each line of a published transcript, in order: radmind
/// syntax, the store path rule (no NUL, empty, `.` or `..` component) and radmind's case-sensitive
/// order. `verify` and `adopt` read transcripts through it, so both refuse the same lines with the
/// same messages.
struct PublishedLineCheck {
  /// The transcript's name, for messages.
  let name: String
  var parser = TranscriptLineParser()
  var order = OrderChecker(order: .caseSensitive)

  init(name: String) { self.name = name }

  /// The entry of `line` (line `number`), or a refusal naming the transcript, line and problem.
  mutating func entry(_ line: UnsafeRawBufferPointer, number: Int) throws(StoreError) -> Entry {
    let entry: Entry
    do { entry = try parser.parse(line) } catch {
      throw StoreError(.store, "\(name): line \(number): \(error)")
    }
    if let why = entry.storePathProblem {
      throw StoreError(.store, "\(name): line \(number): \(why)")
    }
    if !order.accept(encoded: parser.tokens.token(parser.tokens.count > 0 && entry.prefix != .none ? 2 : 1, in: line)) {
      throw StoreError(.store, "\(name): line \(number): bad sort order")
    }
    return entry
  }
}
