#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
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

/// How ``NodeConcatenator`` treats a path that nodes list differently.
public enum ConflictPolicy: Sendable {
  /// Stop with a ``NodeConflict`` (nothing is published).
  case fail
  /// Keep the line of the node that comes first in this list (nodes not listed rank after the
  /// listed ones, in input order); every resolved conflict is reported in the result.
  case precedence([String])
}

public struct ConcatenationResult: Sendable {
  public var lines = 0
  public var filesLinked = 0
  public var resolved: [NodeConflict] = []
}

/// A failure of the concatenation other than a conflict (I/O, order, linking).
public struct ConcatenationError: Error, Sendable, CustomStringConvertible {
  public var message: [UInt8]
  public var description: String { String(decoding: message, as: UTF8.self) }
}

/// Merges the node loadsets of one build into the build loadset: the union of their lines in
/// path order, each stored file hard-linked (or copied) into the build's file directory, and
/// published crash-safely with ``LoadsetPublisher`` (the build appears whole or not at all).
///
///     let result = try NodeConcatenator.concatenate(
///       nodes: [NodeLoadset(node: "node1", transcript: "transcript/b-001.001-node1.T"), ...],
///       into: "transcript/b-001.001.T", radmindDirectory: store, policy: .fail)
///
/// A path listed by several nodes with equal attributes (type, mode, owner, times, size,
/// checksum, target, devices — whitespace may differ) is written once, from the first node.
/// Streaming: memory does not depend on the transcripts' length.
public enum NodeConcatenator {
  public static func concatenate(nodes: [NodeLoadset], into destination: String, radmindDirectory: String,
                                 policy: ConflictPolicy, copy: Bool = false) throws -> ConcatenationResult {
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
    let rank: [Int] = nodes.indices.map { i in
      if case .precedence(let list) = policy, let r = list.firstIndex(of: nodes[i].node) { return r }
      return Int.max / 2 + i
    }
    let location: LoadsetLocation
    do { location = try LoadsetLocation.locate(destination: Array(destination.utf8), radmindDirectory: radmind) } catch {
      throw ConcatenationError(message: error.message)
    }
    LoadsetPublisher.recover(transcriptRoot: location.transcriptRoot)
    let publisher: LoadsetPublisher
    do { publisher = try LoadsetPublisher(destination: location, withFiles: true) } catch {
      throw ConcatenationError(message: error.message)
    }
    var result = ConcatenationResult()
    var parser = TranscriptLineParser()
    var group: [Int] = []
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
        var chosen = group[0]
        if group.count > 1 {
          let first = try entry(inputs[group[0]], &parser, nodes[group[0]].node)
          for g in group.dropFirst() {
            let other = try entry(inputs[g], &parser, nodes[g].node)
            if other == first { continue }
            let conflict = NodeConflict(path: first.path,
                                        first: (nodes[group[0]].node, Array(inputs[group[0]].line)),
                                        second: (nodes[g].node, Array(inputs[g].line)))
            guard case .precedence = policy else { throw conflict }
            if rank[g] < rank[chosen] { chosen = g }
            result.resolved.append(conflict)
          }
          if let last = result.resolved.last, last.path == first.path, chosen != group[0] {
            // Name the kept line first.
            result.resolved[result.resolved.count - 1] = NodeConflict(
              path: last.path, first: (nodes[chosen].node, Array(inputs[chosen].line)), second: last.first)
          }
        }
        let input = inputs[chosen]
        if input.hasFile && !input.isRemoval {
          try link(input, publisher: publisher, copy: copy)
          result.filesLinked += 1
        }
        publisher.transcript.bytes.append(contentsOf: input.line)
        publisher.transcript.bytes.append(0x0A)
        try publisher.transcript.flushIfFull()
        result.lines += 1
        for g in group { try check(inputs[g].advance()) }
      }
    } catch {
      publisher.abandon()
      throw error
    }
    do { try publisher.commit() } catch { throw ConcatenationError(message: error.message) }
    return result
  }

  static func check(_ a: MergeInput.Advance) throws {
    switch a {
    case .ok: return
    case .soft(let m), .fatal(let m): throw ConcatenationError(message: m)
    }
  }

  static func entry(_ input: MergeInput, _ parser: inout TranscriptLineParser, _ node: String) throws -> Entry {
    do { return try parser.parse(input.line) } catch {
      throw ConcatenationError(message: input.name + Array(": line \(input.lineNumber): ".utf8) + error.messageBytes)
    }
  }

  static func link(_ input: MergeInput, publisher: LoadsetPublisher, copy: Bool) throws {
    let decoded = input.decodedPath
    let source = input.location.fileRoot + [0x2F] + input.name + [0x2F] + decoded
    let target = publisher.temporaryFilePath(decoded)
    for attempt in 0..<2 {
      let code: Int32
      if copy {
        switch PosixFS.copyFile(source, target) {
        case .copied: return
        case .missingDirectory: code = ENOENT
        case .failed(let m): throw ConcatenationError(message: m)
        }
      } else {
        if PosixFS.withCPath(source, { s in PosixFS.withCPath(target) { Glibc.link(s, $0) } }) == 0 { return }
        code = errno
      }
      if code == ENOENT && attempt == 0 {
        _ = PosixFS.mkdirs(target) { publisher.noteCreatedDirectory($0) }
        continue
      }
      var message = Array("link ".utf8) + source + Array(" -> ".utf8) + target + Array(": ".utf8) + PosixFS.reason(code)
      if code == EXDEV { message += Array(" (hard links cannot cross file systems; copy instead)".utf8) }
      throw ConcatenationError(message: message)
    }
  }
}
