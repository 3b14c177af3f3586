import RadmindFormat
import TranscriptIO

/// ``NodeConcatenator``'s merge loop: takes the inputs at the smallest current path, settles
/// any disagreement by the policy, writes the kept line (linking its file) and advances them.
/// After the first unsettled conflict it only reads on, to report every conflict.
struct NodeMerge {
  let nodes: [NodeLoadset]
  var inputs: [MergeInput]
  let policy: ConflictPolicy
  let writer: any LoadsetWriter
  let copy: Bool
  let linkLimit: UInt64?
  /// Each node's rank under the policy: listed nodes by their place in the list, then the others
  /// in input order.
  let rank: [Int]
  /// Whether the policy's list names the node.
  let listed: [Bool]
  var result = ConcatenationResult()
  var conflicts = NodeConflicts()
  private var parser = TranscriptLineParser()
  /// Indexes of the inputs at the smallest current path, and their parsed lines.
  private var group: [Int] = []
  private var entries: [Entry] = []

  init(nodes: [NodeLoadset], inputs: [MergeInput], policy: ConflictPolicy, writer: any LoadsetWriter,
       copy: Bool, linkLimit: UInt64?) {
    self.nodes = nodes
    self.inputs = inputs
    self.policy = policy
    self.writer = writer
    self.copy = copy
    self.linkLimit = linkLimit
    (rank, listed) = NodeMerge.ranks(nodes, policy)
  }

  static func ranks(_ nodes: [NodeLoadset], _ policy: ConflictPolicy) -> (rank: [Int], listed: [Bool]) {
    var listed = [Bool](repeating: false, count: nodes.count)
    let rank: [Int] = nodes.indices.map { i in
      switch policy {
      case .precedence(let list), .strictPrecedence(let list):
        if let r = list.firstIndex(of: nodes[i].node) {
          listed[i] = true
          return r
        }
      case .fail: break
      }
      return Int.max / 2 + i
    }
    return (rank, listed)
  }

  mutating func run() throws {
    while gatherSmallest() {
      entries.removeAll(keepingCapacity: true)
      for g in group { entries.append(try NodeConcatenator.entry(inputs[g], &parser)) }
      let chosen = settle()
      if conflicts.count == 0 { try write(chosen) }  // after a conflict, only read on
      for g in group { try NodeConcatenator.check(inputs[g].advance()) }
    }
    if conflicts.count > 0 { throw conflicts }
  }

  /// Fills `group` with the inputs at the smallest current path; false when all are at their end.
  private mutating func gatherSmallest() -> Bool {
    group.removeAll(keepingCapacity: true)
    for i in inputs.indices where !inputs[i].isAtEnd {
      if group.isEmpty {
        group.append(i)
      } else {
        let c = inputs[i].compare(to: inputs[group[0]])
        if c < 0 {
          group.removeAll(keepingCapacity: true)
          group.append(i)
        } else if c == 0 {
          group.append(i)
        }
      }
    }
    return !group.isEmpty
  }

  /// The index into `group` of the line to keep; records each disagreement with it as resolved
  /// or as a conflict, as the policy says.
  private mutating func settle() -> Int {
    guard entries.dropFirst().contains(where: { $0 != entries[0] }) else {
      if group.count > 1 { result.shared += 1 }
      return 0
    }
    var chosen = 0
    if case .fail = policy {} else {
      chosen = group.indices.min { rank[group[$0]] < rank[group[$1]] }!
    }
    for k in group.indices where k != chosen && entries[k] != entries[chosen] {
      let (kept, other) = (group[chosen], group[k])
      let conflict = NodeConflict(path: entries[chosen].path,
                                  first: (nodes[kept].node, Array(inputs[kept].line)),
                                  second: (nodes[other].node, Array(inputs[other].line)))
      switch policy {
      case .fail: conflicts.append(conflict)
      case .precedence: result.resolved.append(conflict)
      case .strictPrecedence:
        if listed[kept] && listed[other] { result.resolved.append(conflict) } else { conflicts.append(conflict) }
      }
    }
    return chosen
  }

  /// Writes the kept line, linking (or copying) its stored file into the build.
  private mutating func write(_ chosen: Int) throws {
    let input = inputs[group[chosen]]
    if input.hasFile && !input.isRemoval {
      try NodeConcatenator.link(input, writer: writer, copy: copy, linkLimit: linkLimit)
      result.filesLinked += 1
      result.bytes += entries[chosen].size
      WorkProgress.advance(files: 1, bytes: entries[chosen].size)
    }
    writer.transcript.bytes.append(contentsOf: input.line)
    writer.transcript.bytes.append(0x0A)
    try writer.transcript.flushIfFull()
    result.lines += 1
  }
}
