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
    let radmind: [UInt8]
    do { radmind = try LoadsetLocation.resolveRadmindDirectory(Array(radmindDirectory.utf8)) } catch {
      throw ConcatenationError(message: error.message)
    }
    let inputs = try openInputs(nodes, radmind: radmind)
    var merge = NodeMerge(nodes: nodes, inputs: inputs, policy: policy, writer: try openWriter(output, radmind: radmind),
                          copy: copy, linkLimit: linkLimit)
    do { try merge.run() } catch {
      merge.writer.abandon()
      throw error
    }
    do { try merge.writer.commit() } catch { throw ConcatenationError(message: error.message) }
    return merge.result
  }

  /// Each node's transcript, located and open at its first line.
  static func openInputs(_ nodes: [NodeLoadset], radmind: [UInt8]) throws -> [MergeInput] {
    var inputs: [MergeInput] = []
    for n in nodes {
      do {
        let location = try LoadsetLocation.locate(transcript: Array(n.transcript.utf8), radmindDirectory: radmind)
        let input = try MergeInput(path: n.transcript, location: location, order: .caseSensitive)
        try check(input.advance())
        inputs.append(input)
      } catch let e as LoadsetLocation.Failure {
        throw ConcatenationError(message: e.message)
      } catch let e as SystemCallError {
        throw ConcatenationError(message: Array(e.description.utf8))
      }
    }
    return inputs
  }

  /// The build's writer: a crash-safe publisher at the destination (after recovering what an
  /// earlier run left there), or the caller's staging paths.
  static func openWriter(_ output: ConcatenationOutput, radmind: [UInt8]) throws -> any LoadsetWriter {
    do {
      switch output {
      case .publish(let destination):
        let location = try LoadsetLocation.locate(destination: Array(destination.utf8), radmindDirectory: radmind)
        LoadsetPublisher.recover(transcriptRoot: location.transcriptRoot)
        return try LoadsetPublisher(destination: location, withFiles: true)
      case .staged(let transcript, let fileDirectory):
        return try StagedLoadset(transcript: Array(transcript.utf8), fileDirectory: Array(fileDirectory.utf8))
      }
    } catch let e as LoadsetLocation.Failure {
      throw ConcatenationError(message: e.message)
    } catch let e as LoadsetPublisher.Failure {
      throw ConcatenationError(message: e.message)
    }
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
