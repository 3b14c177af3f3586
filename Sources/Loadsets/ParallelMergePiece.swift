import SystemCalls
import RadmindFormat

/// One piece of a parallel `lmerge -T`: every input's share of the piece merged into a buffer
/// with radmind's loop (``Lmerge/merge``) as it runs when lines are only copied (no `-f`, no
/// `-n`): the highest-precedence input's line of a path is written, the equal lines of lower
/// inputs are dropped. Anything that would make that loop do more (a removal line, whose fate
/// depends on lines outside the piece) or say anything (an input message) stops the piece:
/// ``ParallelMerge`` then merges sequentially.
final class ParallelMergePiece {
  /// The merged lines, each with its LF.
  private(set) var bytes: UnsafeMutableRawPointer
  private(set) var count = 0
  private var capacity: Int
  /// Per input: the first and last path of its share (nil when the share has no line), for the
  /// order check across pieces.
  private(set) var firstPaths: [[UInt8]?] = []
  private(set) var lastPaths: [[UInt8]?] = []
  /// Why the piece cannot be merged in parallel (nil: it was).
  private(set) var refusal: String?

  init(capacity: Int) {
    self.capacity = max(capacity, 1 << 16)
    bytes = .allocate(byteCount: self.capacity, alignment: 16)
  }

  deinit { bytes.deallocate() }

  /// Merges `inputs` (one per transcript, in precedence order, restricted to this piece).
  func merge(_ inputs: [MergeInput], expectedBytes: Int) {
    count = 0
    refusal = nil
    firstPaths = Array(repeating: nil, count: inputs.count)
    lastPaths = firstPaths
    reserve(expectedBytes)
    for (j, input) in inputs.enumerated() {
      guard advance(input) else { return }
      if !input.isAtEnd { firstPaths[j] = Array(input.path) }
    }
    let k = inputs.count
    if k == 2 {
      guard mergeTwo(inputs[0], inputs[1]) else { return }
      for (j, input) in inputs.enumerated() { lastPaths[j] = input.lastPath }
      return
    }
    for i in 0 ..< k {
      let current = inputs[i]
      while !current.isAtEnd {
        var candidate = current
        for j in (i + 1) ..< k {
          let other = inputs[j]
          if other.isAtEnd { continue }
          let c = candidate.compare(to: other)
          if c == 0 {
            guard advance(other) else { return }
          } else if c > 0 {
            candidate = other
          }
        }
        append(candidate.line)
        guard advance(candidate) else { return }
      }
    }
    for (j, input) in inputs.enumerated() { lastPaths[j] = input.lastPath }
  }

  /// The loop above for two inputs, the common case, without reloading the inputs from their
  /// array at each step (a retain and a release each): `high`'s line wins a tie, `low`'s is dropped.
  private func mergeTwo(_ high: MergeInput, _ low: MergeInput) -> Bool {
    while !high.isAtEnd {
      if !low.isAtEnd {
        let c = high.compare(to: low)
        if c > 0 {
          append(low.line)
          guard advance(low) else { return false }
          continue
        }
        if c == 0 { guard advance(low) else { return false } }
      }
      append(high.line)
      guard advance(high) else { return false }
    }
    while !low.isAtEnd {
      append(low.line)
      guard advance(low) else { return false }
    }
    return true
  }

  /// Reads an input's next line; false (with ``refusal`` set) when the sequential merge must decide.
  @inline(__always)
  private func advance(_ input: MergeInput) -> Bool {
    switch input.advance() {
    case .ok:
      if input.isAtEnd || !input.isRemoval { return true }
      refusal = "\(input.reader.name): a removal line"
    case .soft(let m), .fatal(let m):
      refusal = String(decoding: m, as: UTF8.self)
    }
    return false
  }

  @inline(__always)
  private func append(_ line: UnsafeRawBufferPointer) {
    let n = line.count
    if count + n + 1 > capacity { reserve(count + n + 1) }
    if let src = line.baseAddress { (bytes + count).copyMemory(from: src, byteCount: n) }
    bytes.storeBytes(of: 0x0A, toByteOffset: count + n, as: UInt8.self)
    count += n + 1
  }

  private func reserve(_ needed: Int) {
    guard needed > capacity else { return }
    let bigger = max(needed, capacity * 2)
    let grown = UnsafeMutableRawPointer.allocate(byteCount: bigger, alignment: 16)
    grown.copyMemory(from: bytes, byteCount: count)
    bytes.deallocate()
    bytes = grown
    capacity = bigger
  }
}
