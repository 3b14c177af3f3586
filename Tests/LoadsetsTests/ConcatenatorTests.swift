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
    } catch let c as NodeConflict {
      #expect(c.first.node == "node1" && c.second.node == "node2")
      #expect(c.description.contains("node1: f ./etc/a") && c.description.contains("node2: f ./etc/a"))
    }
    #expect(!s.exists("transcript/build.T") && !s.exists("file/build.T"))
    let r = try NodeConcatenator.concatenate(nodes: list, into: s.url("transcript/build.T"),
                                             radmindDirectory: s.url("radmind"), policy: .precedence(["node2"]))
    #expect(r.resolved.count == 1 && r.resolved[0].first.node == "node2")
    #expect(s.read("file/build.T/etc/a") == "a" && s.read("transcript/build.T")!.contains(" B\n"))
  }
}
