import RadmindFormat

extension TranscriptChecker {
  /// ``StorePathRule`` on a validated line's path (and an `h` line's target): a transcript path
  /// with a NUL byte, an empty, `.` or `..` component would name a place outside the tree it
  /// describes (radmind would cut it at the NUL or follow the `..`). Symlink targets are free text.
  static func pathProblem(in line: UnsafeRawBufferPointer, kind: Entry.Kind, typeIndex: Int, tokens: LineTokens) -> String? {
    let path = tokens.token(typeIndex + 1, in: line)
    if let why = StorePathRule.problem(in: path) {
      return "path \(String(decoding: path, as: UTF8.self)) \(why)"
    }
    if kind == .hardLink {
      let target = tokens.token(typeIndex + 2, in: line)
      if let why = StorePathRule.problem(in: target) {
        return "hard link target \(String(decoding: target, as: UTF8.self)) \(why)"
      }
    }
    return nil
  }
}
