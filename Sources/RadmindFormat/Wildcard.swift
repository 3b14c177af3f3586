/// radmind's exclude-pattern matcher (`wildcard.c`), reproduced rule for rule (spec §5.4).
///
/// Patterns and paths are **decoded** byte strings. The whole path must match.
///
///     Wildcard.matches(Array("./root/*b".utf8), Array("./root/spool/sub".utf8))   // true: * crosses /
///
/// Rules, including radmind's surprises:
/// * `*` matches any run of bytes including `/`; followed by more pattern, it tries every start
///   position up to, but not including, the end of the path.
/// * `?` matches one byte.
/// * `<min-max>` matches a whole run of decimal digits whose value v (C `atoi`) has min ≤ v ≤ max.
/// * `[set]` is inverted: it consumes one byte c and matches unless the set is empty or every member
///   equals c. A `[` without `]` never matches.
/// * `{a,b,...}` matches an alternative taken literally, then the rest of the pattern.
/// * `\c` matches c literally; a trailing `\` matches the end of the path.
/// * With `caseInsensitive`, A–Z fold to a–z in literal, set and alternative comparisons.
///
/// Where radmind reads past the end of the path (`?` or `[set]` at the end), this returns false.
///
/// radmind's backtracking is exponential in the number of `*`s (a pattern such as `*a*a*a*a*b`
/// on a long path). The answer for a (pattern position, path position) pair never changes, so
/// after a budget of backtracking steps the match restarts with a table of the pairs already
/// known to fail (found by fuzzing: one input took 130 s). A `*` tries every later path
/// position; the table also keeps, per `*`, the first path position from which every try is
/// known to fail, so no `*` tries a position twice: same answers, time O(pattern × path)
/// (without it, O(pattern × path²): minutes for a 4 KiB command-file line of stars).
public enum Wildcard {
  public static func matches(_ pattern: [UInt8], _ path: [UInt8], caseInsensitive: Bool = false) -> Bool {
    pattern.withUnsafeBytes { w in
      path.withUnsafeBytes { p in
        var state = Backtracking(memo: nil, steps: 0, limit: Backtracking.budget(w.count, p.count))
        if let answer = match(w, 0, p, 0, caseInsensitive, &state) { return answer }
        // Over budget: again, remembering failed pairs.
        return withMemo(patternCount: w.count, pathCount: p.count) { memo in
          state = Backtracking(memo: memo, steps: 0)
          return match(w, 0, p, 0, caseInsensitive, &state) ?? false
        }
      }
    }
  }

  struct Memo {
    let failed: UnsafeMutableBufferPointer<Bool>
    let width: Int
    /// Per pattern position just after a `*`: the smallest path position from which matching
    /// the rest of the pattern is known to fail at every position up to the end (path count + 1:
    /// none known).
    let starFailsFrom: UnsafeMutableBufferPointer<Int>
    /// Per path position: the digit run starting there, read once (end -1: not read yet), so a
    /// long run is not read again from every position a `*` tries.
    let pathDigits: UnsafeMutableBufferPointer<(value: Int32, end: Int)>
  }

  /// Runs `body` with an empty memo table for these lengths.
  static func withMemo<R>(patternCount: Int, pathCount: Int, _ body: (Memo) -> R) -> R {
    let width = pathCount + 1
    let table = UnsafeMutableBufferPointer<Bool>.allocate(capacity: (patternCount + 1) * width)
    table.initialize(repeating: false)
    defer { table.deallocate() }
    let stars = UnsafeMutableBufferPointer<Int>.allocate(capacity: patternCount + 1)
    stars.initialize(repeating: pathCount + 1)
    defer { stars.deallocate() }
    let runs = UnsafeMutableBufferPointer<(value: Int32, end: Int)>.allocate(capacity: width)
    runs.initialize(repeating: (0, -1))
    defer { runs.deallocate() }
    return body(Memo(failed: table, width: width, starFailsFrom: stars, pathDigits: runs))
  }

  struct Backtracking {
    var memo: Memo?
    var steps: Int
    var limit = 20_000
    /// Backtracking steps allowed before the memo table is worth its allocation: a few per byte
    /// (an ordinary pattern takes about one step per path byte and star; a fuzzing build pays
    /// dearly for each step, and with the table no step is repeated).
    static func budget(_ patternCount: Int, _ pathCount: Int) -> Int { 64 + 4 * (patternCount + pathCount) }
  }

  @inline(__always)
  static func fold(_ b: UInt8, _ ci: Bool) -> UInt8 {
    ci && (b &- 0x41) < 26 ? b | 0x20 : b
  }

  @inline(__always)
  static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

  /// Reads a digit run starting at `i` with C `atoi` wrap-around; returns (value, index after).
  static func digits(_ s: UnsafeRawBufferPointer, _ i: Int) -> (Int32, Int) {
    var j = i
    while j < s.count, isDigit(s[j]) { j += 1 }
    let value = LenientNumber.atoi(UnsafeRawBufferPointer(rebasing: s[i..<j]))
    return (value, j)
  }

  /// The match of `w[wi0...]` against `p[pi0...]`; nil when the step budget ran out (no memo).
  static func match(_ w: UnsafeRawBufferPointer, _ wi0: Int, _ p: UnsafeRawBufferPointer, _ pi0: Int,
                    _ ci: Bool, _ state: inout Backtracking) -> Bool? {
    if let memo = state.memo {
      if memo.failed[wi0 * memo.width + pi0] { return false }
      guard let answer = matchOnce(w, wi0, p, pi0, ci, &state) else { return nil }
      if !answer { memo.failed[wi0 * memo.width + pi0] = true }
      return answer
    }
    state.steps += 1
    if state.steps > state.limit { return nil }
    return matchOnce(w, wi0, p, pi0, ci, &state)
  }

  static func matchOnce(_ w: UnsafeRawBufferPointer, _ wi0: Int, _ p: UnsafeRawBufferPointer, _ pi0: Int,
                        _ ci: Bool, _ state: inout Backtracking) -> Bool? {
    var wi = wi0, pi = pi0
    let wn = w.count, pn = p.count
    while true {
      guard wi < wn else { return pi == pn }
      switch w[wi] {
      case UInt8(ascii: "*"):
        wi += 1
        if wi == wn { return true }
        // Every try from `known` on already failed (a true answer ends the whole match).
        var known = pn
        if let memo = state.memo { known = min(memo.starFailsFrom[wi], pn) }
        var k = pi
        while k < known {
          guard let answer = match(w, wi, p, k, ci, &state) else { return nil }
          if answer { return true }
          k += 1
        }
        if let memo = state.memo, pi < memo.starFailsFrom[wi] { memo.starFailsFrom[wi] = pi }
        return false
      case UInt8(ascii: "?"):
        if pi >= pn { return false }
        wi += 1; pi += 1
      case UInt8(ascii: "<"):
        wi += 1
        guard pi < pn, isDigit(p[pi]) else { return false }
        let (value, pEnd): (Int32, Int)
        if let memo = state.memo {
          if memo.pathDigits[pi].end < 0 { memo.pathDigits[pi] = digits(p, pi) }
          (value, pEnd) = memo.pathDigits[pi]
        } else {
          (value, pEnd) = digits(p, pi)
        }
        pi = pEnd
        guard wi < wn, isDigit(w[wi]) else { return false }
        let (minimum, afterMin) = digits(w, wi)
        wi = afterMin
        guard wi < wn, w[wi] == UInt8(ascii: "-") else { return false }
        wi += 1
        guard wi < wn, isDigit(w[wi]) else { return false }
        let (maximum, afterMax) = digits(w, wi)
        wi = afterMax
        guard wi < wn, w[wi] == UInt8(ascii: ">") else { return false }
        wi += 1
        if value < minimum || value > maximum { return false }
      case UInt8(ascii: "["):
        wi += 1
        guard pi < pn else { return false }
        let c = fold(p[pi], ci)
        var sawOther = false
        var empty = true
        while wi < wn, w[wi] != UInt8(ascii: "]") {
          empty = false
          if fold(w[wi], ci) != c { sawOther = true }
          wi += 1
        }
        guard wi < wn else { return false }  // no closing ]
        wi += 1
        if empty || !sawOther { return false }
        pi += 1
      case UInt8(ascii: "{"):
        wi += 1
        // Find the closing brace; a nested { or a missing } never matches.
        var close = wi
        while close < wn, w[close] != UInt8(ascii: "}") {
          if w[close] == UInt8(ascii: "{") { return false }
          close += 1
        }
        guard close < wn else { return false }
        var altStart = wi
        while altStart <= close {
          var altEnd = altStart
          while altEnd < close, w[altEnd] != UInt8(ascii: ",") { altEnd += 1 }
          let len = altEnd - altStart
          if pi + len <= pn {
            var same = true
            var k = 0
            while k < len {
              if fold(w[altStart + k], ci) != fold(p[pi + k], ci) { same = false; break }
              k += 1
            }
            if same {
              guard let answer = match(w, close + 1, p, pi + len, ci, &state) else { return nil }
              if answer { return true }
            }
          }
          altStart = altEnd + 1
        }
        return false
      case 0x5C:  // backslash
        wi += 1
        if wi == wn { return pi == pn }
        guard pi < pn, fold(w[wi], ci) == fold(p[pi], ci) else { return false }
        wi += 1; pi += 1
      default:
        guard pi < pn, fold(w[wi], ci) == fold(p[pi], ci) else { return false }
        wi += 1; pi += 1
      }
    }
  }
}
