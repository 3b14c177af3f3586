import StoreTestSupport
import Testing
@testable import Loadsets

struct ConcatenatorTests {
  func nodes(_ s: Scratch) -> [NodeLoadset] {
    s.mkdir("radmind")
    s.write("transcript/n1.T", dline("./etc") + fline("./etc/a", size: 1, sum: "A") + fline("./etc/one", size: 1, sum: "O"))
    s.write("transcript/n2.T", dline("./etc") + fline("./etc/a", size: 1, sum: "A") + fline("./etc/two", size: 1, sum: "T"))
    for (n, f) in [("n1", "a"), ("n1", "one"), ("n2", "a"), ("n2", "two")] { s.write("file/\(n).T/etc/\(f)", f) }
    return [NodeLoadset(node: "node1", transcript: s.url("transcript/n1.T")),
            NodeLoadset(node: "node2", transcript: s.url("transcript/n2.T"))]
  }

  @Test("equal lines are written once; every file is linked into the build")
  func union() throws {
    let s = Scratch()
    let r = try NodeConcatenator.concatenate(nodes: nodes(s), into: s.url("transcript/build.T"),
                                             radmindDirectory: s.url("radmind"), policy: .fail)
    #expect(r.lines == 4 && r.filesLinked == 3 && r.resolved.isEmpty)
    #expect(s.read("transcript/build.T") == dline("./etc") + fline("./etc/a", size: 1, sum: "A")
      + fline("./etc/one", size: 1, sum: "O") + fline("./etc/two", size: 1, sum: "T"))
    #expect(s.links("file/build.T/etc/one") == 2)
  }

  @Test("a conflict names both nodes and both lines; precedence resolves it")
  func conflict() throws {
    let s = Scratch()
    let list = nodes(s)
    s.write("transcript/n2.T", dline("./etc") + fline("./etc/a", size: 2, sum: "B") + fline("./etc/two", size: 1, sum: "T"))
    do {
      _ = try NodeConcatenator.concatenate(nodes: list, into: s.url("transcript/build.T"),
                                           radmindDirectory: s.url("radmind"), policy: .fail)
      Issue.record("expected a conflict")
    } catch let all as NodeConflicts {
      #expect(all.count == 1 && all.conflicts.count == 1)
      let c = all.conflicts[0]
      #expect(c.first.node == "node1" && c.second.node == "node2")
      #expect(c.description.contains("node1: f ./etc/a") && c.description.contains("node2: f ./etc/a"))
    }
    #expect(!s.exists("transcript/build.T") && !s.exists("file/build.T"))
    let r = try NodeConcatenator.concatenate(nodes: list, into: s.url("transcript/build.T"),
                                             radmindDirectory: s.url("radmind"), policy: .precedence(["node2"]))
    #expect(r.resolved.count == 1 && r.resolved[0].first.node == "node2")
    #expect(s.read("file/build.T/etc/a") == "a" && s.read("transcript/build.T")!.contains(" B\n"))
  }

  @Test("every conflict is reported; strict precedence settles only conflicts between listed nodes")
  func allConflictsAndStrictPrecedence() throws {
    let s = Scratch()
    var list = nodes(s)
    s.write("transcript/n2.T", dline("./etc", mode: "0700") + fline("./etc/a", size: 2, sum: "B") + fline("./etc/two", size: 1, sum: "T"))
    s.write("transcript/n3.T", fline("./etc/two", size: 3, sum: "X"))
    s.write("file/n3.T/etc/two", "xxx")
    list.append(NodeLoadset(node: "node3", transcript: s.url("transcript/n3.T")))
    do {
      _ = try NodeConcatenator.concatenate(nodes: list, into: s.url("transcript/build.T"),
                                           radmindDirectory: s.url("radmind"), policy: .fail)
      Issue.record("expected conflicts")
    } catch let all as NodeConflicts {
      #expect(all.count == 3 && all.conflicts.map { $0.second.node } == ["node2", "node2", "node3"])
      #expect(all.description.hasPrefix("3 node conflict(s):\nconflict at ./etc:\n  node1: d ./etc"))
    }
    // node3 is not listed: its conflict with node2 stays one.
    do {
      _ = try NodeConcatenator.concatenate(nodes: list, into: s.url("transcript/build.T"), radmindDirectory: s.url("radmind"),
                                           policy: .strictPrecedence(["node2", "node1"]))
      Issue.record("expected a conflict")
    } catch let all as NodeConflicts {
      #expect(all.count == 1 && all.conflicts[0].first.node == "node2" && all.conflicts[0].second.node == "node3")
    }
    #expect(!s.exists("transcript/build.T") && !s.exists("file/build.T"))
    let r = try NodeConcatenator.concatenate(nodes: list, into: s.url("transcript/build.T"), radmindDirectory: s.url("radmind"),
                                             policy: .strictPrecedence(["node3", "node2", "node1"]))
    #expect(r.resolved.map { "\($0.first.node)>\($0.second.node)" } == ["node2>node1", "node2>node1", "node3>node2"])
    #expect(r.lines == 4 && r.filesLinked == 3 && r.bytes == 2 + 1 + 3)
  }

  @Test("staged output: the pair is written where asked, unpublished, and removed on failure")
  func staged() throws {
    let s = Scratch()
    let list = nodes(s)
    s.mkdir("stage")
    let output = ConcatenationOutput.staged(transcript: s.url("stage/transcript"), fileDirectory: s.url("stage/file"))
    let r = try NodeConcatenator.concatenate(nodes: list, output: output, radmindDirectory: s.url("radmind"), policy: .fail)
    #expect(r.lines == 4 && r.filesLinked == 3 && r.bytes == 3 && r.shared == 2)
    #expect(s.read("stage/transcript") == dline("./etc") + fline("./etc/a", size: 1, sum: "A")
      + fline("./etc/one", size: 1, sum: "O") + fline("./etc/two", size: 1, sum: "T"))
    #expect(s.links("stage/file/etc/one") == 2 && s.entries("transcript") == ["n1.T", "n2.T"])
    // It does not overwrite, and a failure leaves nothing behind.
    #expect(throws: ConcatenationError.self) {
      _ = try NodeConcatenator.concatenate(nodes: list, output: output, radmindDirectory: s.url("radmind"), policy: .fail)
    }
    s.write("transcript/n2.T", fline("./etc/z", size: 1, sum: "Z") + fline("./etc/a", size: 1, sum: "A"))
    let fresh = ConcatenationOutput.staged(transcript: s.url("stage/t2"), fileDirectory: s.url("stage/f2"))
    #expect(throws: ConcatenationError.self) {
      _ = try NodeConcatenator.concatenate(nodes: list, output: fresh, radmindDirectory: s.url("radmind"), policy: .fail)
    }
    #expect(s.entries("stage") == ["file", "transcript"])
  }
}
