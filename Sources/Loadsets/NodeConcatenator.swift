import SystemCalls
import RadmindFormat
import TranscriptIO

/// One node's loadset of a build: its transcript (files found as lmerge finds them, spec §8.1).
public struct NodeLoadset: Sendable {
  public var node: String
  public var transcript: String
  public init(node: String, transcript: String) {
    self.node = node
    self.transcript = transcript
  }
}

/// The same path listed by two nodes with different attributes or content.
public struct NodeConflict: Error, Sendable, CustomStringConvertible {
  public var path: [UInt8]
  /// (node, line without LF) for the two nodes that disagree: the kept one first when resolved.
  public var first: (node: String, line: [UInt8])
  public var second: (node: String, line: [UInt8])
  public var description: String {
    "conflict at \(String(decoding: PathCodec.encode(path), as: UTF8.self)):\n"
      + "  \(first.node): \(String(decoding: first.line, as: UTF8.self))\n"
      + "  \(second.node): \(String(decoding: second.line, as: UTF8.self))"
  }
}

/// Every path the nodes list differently and the policy did not settle: the concatenation
/// stopped and nothing was written. The first ``limit`` conflicts are kept, in path order.
public struct NodeConflicts: Error, Sendable, CustomStringConvertible {
  public static let limit = 20
  public var conflicts: [NodeConflict] = []
  /// How many there were (``conflicts`` keeps the first ``limit``).
  public var count = 0
  public var description: String {
    var out = "\(count) node conflict(s):"
    for c in conflicts { out += "\n" + c.description }
    if count > conflicts.count { out += "\n... and \(count - conflicts.count) more" }
    return out
  }

  mutating func append(_ conflict: NodeConflict) {
    if conflicts.count < NodeConflicts.limit { conflicts.append(conflict) }
    count += 1
  }
}

/// How ``NodeConcatenator`` treats a path that nodes list differently.
public enum ConflictPolicy: Sendable {
  /// Stop with ``NodeConflicts`` naming every conflict (nothing is written).
  case fail
  /// Keep the line of the node that comes first in this list (nodes not listed rank after the
  /// listed ones, in input order); every resolved conflict is reported in the result.
  case precedence([String])
  /// As `precedence`, but a conflict is settled only between listed nodes: one whose kept line or
  /// a differing line comes from a node the list does not name is a conflict as under `fail`.
  case strictPrecedence([String])
}

public struct ConcatenationResult: Sendable {
  public var lines = 0
  public var filesLinked = 0
  /// The size fields of the linked files, summed.
  public var bytes: Int64 = 0
  /// Paths listed by several nodes with equal attributes (written once).
  public var shared = 0
  public var resolved: [NodeConflict] = []
}

/// A failure of the concatenation other than a conflict (I/O, order, malformed line, linking).
public struct ConcatenationError: Error, Sendable, CustomStringConvertible {
  public var message: [UInt8]
  public var description: String { String(decoding: message, as: UTF8.self) }
}

/// Where ``NodeConcatenator`` writes the build.
public enum ConcatenationOutput: Sendable {
  /// Published crash-safely with ``LoadsetPublisher`` at this transcript path, its files where
  /// spec §8.1 puts them (the build appears whole or not at all).
  case publish(destination: String)
  /// Written to `transcript` with its files in `fileDirectory` (neither may exist), unpublished
  /// and not synced: for a caller that publishes with its own protocol (the store). Both are
  /// removed again on failure.
  case staged(transcript: String, fileDirectory: String)
}

/// Merges the node loadsets of one build into the build loadset: the union of their lines in
/// path order, each stored file hard-linked (or copied) into the build's file directory, and
/// published crash-safely with ``LoadsetPublisher`` (or staged for the caller to publish).
///
///     let result = try NodeConcatenator.concatenate(
///       nodes: [NodeLoadset(node: "node1", transcript: "transcript/b-001.001-node1.T"), ...],
///       into: "transcript/b-001.001.T", radmindDirectory: store, policy: .fail)
///
/// A path listed by several nodes with equal attributes (type, mode, owner, times, size,
/// checksum, target, devices — whitespace may differ) is written once, from the first node.
/// Every line is parsed (a malformed line stops the build, as a line out of order does).
/// Streaming: memory does not depend on the transcripts' length.
public enum NodeConcatenator {
  public static func concatenate(nodes: [NodeLoadset], into destination: String, radmindDirectory: String,
                                 policy: ConflictPolicy, copy: Bool = false) throws -> ConcatenationResult {
    try concatenate(nodes: nodes, output: .publish(destination: destination), radmindDirectory: radmindDirectory,
                    policy: policy, copy: copy)
  }

  /// `linkLimit`: a stored file with that many links is copied, as one at the filesystem's
  /// limit (`EMLINK`) is (the store's injectable `LOADSMITH_LINK_LIMIT`).
  public static func concatenate(nodes: [NodeLoadset], output: ConcatenationOutput, radmindDirectory: String,
                                 policy: ConflictPolicy, copy: Bool = false, linkLimit: UInt64? = nil) throws -> ConcatenationResult {
    let order = PathOrder.caseSensitive
    let radmind: [UInt8]
    do { radmind = try LoadsetLocation.resolveRadmindDirectory(Array(radmindDirectory.utf8)) } catch {
      throw ConcatenationError(message: error.message)
    }
    var inputs: [MergeInput] = []
    for n in nodes {
      do {
        let location = try LoadsetLocation.locate(transcript: Array(n.transcript.utf8), radmindDirectory: radmind)
        let input = try MergeInput(path: n.transcript, location: location, order: order)
        try check(input.advance())
        inputs.append(input)
      } catch let e as LoadsetLocation.Failure {
        throw ConcatenationError(message: e.message)
      } catch let e as SystemError {
        throw ConcatenationError(message: Array(e.description.utf8))
      }
    }
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
    let writer: any LoadsetWriter
    do {
      switch output {
      case .publish(let destination):
        let location = try LoadsetLocation.locate(destination: Array(destination.utf8), radmindDirectory: radmind)
        LoadsetPublisher.recover(transcriptRoot: location.transcriptRoot)
        writer = try LoadsetPublisher(destination: location, withFiles: true)
      case .staged(let transcript, let fileDirectory):
        writer = try StagedLoadset(transcript: Array(transcript.utf8), fileDirectory: Array(fileDirectory.utf8))
      }
    } catch let e as LoadsetLocation.Failure {
      throw ConcatenationError(message: e.message)
    } catch let e as LoadsetPublisher.Failure {
      throw ConcatenationError(message: e.message)
    }
    var result = ConcatenationResult()
    var conflicts = NodeConflicts()
    var parser = TranscriptLineParser()
    var group: [Int] = []
    var entries: [Entry] = []
    do {
      while true {
        // The inputs at the smallest current path.
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
        if group.isEmpty { break }
        entries.removeAll(keepingCapacity: true)
        for g in group { entries.append(try entry(inputs[g], &parser)) }
        var chosen = 0  // index into group
        if entries.dropFirst().contains(where: { $0 != entries[0] }) {
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
        } else if group.count > 1 {
          result.shared += 1
        }
        // After a conflict only reading goes on, to report every conflict.
        if conflicts.count == 0 {
          let input = inputs[group[chosen]]
          if input.hasFile && !input.isRemoval {
            try link(input, writer: writer, copy: copy, linkLimit: linkLimit)
            result.filesLinked += 1
            result.bytes += entries[chosen].size
            WorkProgress.advance(files: 1, bytes: entries[chosen].size)
          }
          writer.transcript.bytes.append(contentsOf: input.line)
          writer.transcript.bytes.append(0x0A)
          try writer.transcript.flushIfFull()
          result.lines += 1
        }
        for g in group { try check(inputs[g].advance()) }
      }
      if conflicts.count > 0 { throw conflicts }
    } catch {
      writer.abandon()
      throw error
    }
    do { try writer.commit() } catch { throw ConcatenationError(message: error.message) }
    return result
  }

  static func check(_ a: MergeInput.Advance) throws {
    switch a {
    case .ok: return
    case .soft(let m), .fatal(let m): throw ConcatenationError(message: m)
    }
  }

  static func entry(_ input: MergeInput, _ parser: inout TranscriptLineParser) throws -> Entry {
    let entry: Entry
    do { entry = try parser.parse(input.line) } catch {
      throw ConcatenationError(message: input.name + Array(": line \(input.lineNumber): ".utf8) + error.messageBytes)
    }
    // A path leading outside the file directory must never be linked from or into.
    if let why = entry.storePathProblem {
      throw ConcatenationError(message: input.name + Array(": line \(input.lineNumber): \(why)".utf8))
    }
    return entry
  }

  static func link(_ input: MergeInput, writer: any LoadsetWriter, copy: Bool, linkLimit: UInt64? = nil) throws {
    let decoded = input.decodedPath
    let source = BytePath.join(BytePath.join(input.location.fileRoot, input.name), decoded)
    let target = writer.temporaryFilePath(decoded)
    for attempt in 0..<2 {
      var code: Int32
      if copy {
        switch RadmindFileOps.copyFile(source, target) {
        case .copied: return
        case .missingDirectory: code = Errno.noEntry
        case .failed(let m): throw ConcatenationError(message: m)
        }
      } else {
        if let linkLimit, Syscall.lstatIfPresent(source).map({ UInt64($0.st_nlink) >= linkLimit }) == true {
          code = Errno.linkLimit
        } else {
          do { try Syscall.link(source, target); return } catch { code = error.errno }
        }
        // A stored file at the filesystem's link limit (shared content): copy it and go on.
        if code == Errno.linkLimit {
          switch RadmindFileOps.copyFile(source, target) {
          case .copied: return
          case .missingDirectory: code = Errno.noEntry
          case .failed(let m): throw ConcatenationError(message: m)
          }
        }
      }
      if code == Errno.noEntry && attempt == 0 {
        _ = RadmindFileOps.mkdirs(target, mode: writer.directoryMode) { writer.noteCreatedDirectory($0) }
        continue
      }
      var message = Array("link ".utf8) + source + Array(" -> ".utf8) + target + Array(": ".utf8) + SystemCallError.reasonBytes(code)
      if code == Errno.crossDevice { message += Array(" (hard links cannot cross file systems; copy instead)".utf8) }
      throw ConcatenationError(message: message)
    }
  }
}
