import StoreTestSupport
import Testing
@testable import Store

struct NameTests {
  @Test("every form of name parses and formats back to itself",
        arguments: ["was-apache-bin-rhel5-001.001-node1.T", "was-apache-bin-rhel5-001.001.T",
                    "was-apache-bin-rhel5-current.T", "was-apache-neg-rhel5-002.013-node12.T",
                    "was-apache-cfg-0007.T", "was-apache-cfg-dev.T", "was-apache-cfg-stable.T", "was-apache-cfg-stale.T"])
  func roundTrip(name: String) throws {
    #expect(try LoadsetName(parsing: name).fileName == name)
    #expect(try LoadsetName(parsing: String(name.dropLast(2))).fileName == name)
  }

  @Test("the parts of a node name are what the scheme says")
  func parts() throws {
    let name = try LoadsetName(parsing: "was-apache-bin-rhel5-001.002-node3.T")
    guard case .node(let s, let v, let n) = name else { Issue.record("not a node"); return }
    #expect(s.family == "was" && s.component == "apache" && s.type == .bin && s.os == "rhel5")
    #expect(v == LoadsetVersion(major: 1, minor: 2) && n == 3)
    #expect(s.description == "was-apache-bin-rhel5" && s.product == "was-apache")
    #expect(name.explanation.contains { $0.0 == "build" && $0.1 == "was-apache-bin-rhel5-001.002.T" })
  }

  @Test("malformed names are refused with a reason naming the part",
        arguments: [("Was-apache-bin-rhel5-001.001.T", "FAMILY"), ("was-apa_che-bin-rhel5-001.001.T", "COMPONENT"),
                    ("was-apache-exe-rhel5-001.001.T", "TYPE"), ("was-apache-bin-rhel5-1.1.T", "three digits"),
                    ("was-apache-bin-rhel5-001.001-node0.T", "nodeN"), ("was-apache-cfg-rhel5-0001.T", "no OS"),
                    ("was-apache-cfg-12.T", "4-digit"), ("was-apache-bin-RHEL5-001.001.T", "OS"),
                    ("was-apache-bin-rhel5-current-node1.T", "no node"), ("was-apache", "expected"),
                    ("was-apache-bin-rhel5-001.001-extra-x.T", "FAMILY-COMPONENT")])
  func refused(name: String, reason: String) {
    #expect(throws: LoadsetNameError.self) { try LoadsetName(parsing: name) }
    do { _ = try LoadsetName(parsing: name) } catch {
      #expect(error.description.contains(reason), "\(error)")
    }
  }

  @Test("next minor and next major versions")
  func nextVersions() throws {
    let v = try LoadsetVersion(parsing: "001.009")
    #expect(try v.nextMinor().description == "001.010")
    #expect(try v.nextMajor().description == "002.001")
    #expect(throws: LoadsetNameError.self) { try LoadsetVersion(parsing: "001.999").nextMinor() }
    #expect(try LoadsetVersion(parsing: "001.002") < LoadsetVersion(parsing: "002.001"))
  }

  @Test("name --explain and --next-minor on the command line")
  func cli() throws {
    let r = try CLI.run(["name", "--explain", "was-apache-bin-rhel5-001.001-node1.T"])
    #expect(r.status == 0)
    #expect(r.out.contains("family:") && r.out.contains("node:") && r.out.contains("was-apache-bin-rhel5-001.001.T"))
    #expect(try CLI.run(["name", "--next-minor", "was-apache-bin-rhel5-001.001.T"]).out == "was-apache-bin-rhel5-001.002.T\n")
    #expect(try CLI.run(["name", "--next-major", "was-apache-bin-rhel5-001.004-node2"]).out == "was-apache-bin-rhel5-002.001-node2.T\n")
    let bad = try CLI.run(["name", "--explain", "was-apache-bin-Rhel5-001.001.T"])
    #expect(bad.status != 0 && bad.err.contains("OS 'Rhel5'"))
  }
}
