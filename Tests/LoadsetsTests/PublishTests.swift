import StoreTestSupport
import Testing
@testable import Loadsets

/// Kills `lmerge` right after each step of the publish protocol (LOADSMITH_LMERGE_FAULT) and
/// checks that recovery leaves a consistent pair: the old loadset before the seal, the new one
/// from the seal on, and nothing temporary either way.
struct PublishTests {
  static let steps: [(String, Bool)] = [("begun", false), ("built", false), ("sealed", true),
                                        ("files", true), ("transcript", true), ("cleaned", true)]

  @Test("kill at each step, then recover: old or new pair, never a mix", arguments: [false, true])
  func killAtEachStep(replacing: Bool) throws {
    let binary = CLI.binary
    try #require(Processes.available(binary), "the loadsmith binary is not built at \(binary)")
    for (step, rollsForward) in PublishTests.steps {
      let s = Scratch()
      makeStore(s)
      if replacing {
        s.write("transcript/merged.T", "old\n")
        s.mkdir("file/merged.T")
      }
      let r = try Processes.run([binary, "lmerge", "-D", s.url("radmind"), "transcript/high.T", "transcript/low.T",
                          "transcript/merged.T"], cwd: s.path, environment: ["LOADSMITH_LMERGE_FAULT": step])
      #expect(r.status == 86, "step \(step): \(r.err)")
      let recovered = LoadsetPublisher.recover(transcriptRoot: Array(s.url("transcript").utf8))
      #expect(recovered.count == 1, "step \(step)")
      if rollsForward {
        #expect(s.read("transcript/merged.T") == mergedText, "step \(step)")
        #expect(s.listing("file/merged.T") == ["etc/", "etc/a", "etc/b", "etc/new"], "step \(step)")
        #expect(s.links("file/merged.T/etc/b") == 2, "step \(step)")
      } else if replacing {
        #expect(s.read("transcript/merged.T") == "old\n", "step \(step)")
        #expect(s.listing("file/merged.T") == [], "step \(step)")
      } else {
        #expect(!s.exists("transcript/merged.T") && !s.exists("file/merged.T"), "step \(step)")
      }
      expectNoTemporaries(s)
      // A second recovery finds nothing to do, and a fresh run still works.
      #expect(LoadsetPublisher.recover(transcriptRoot: Array(s.url("transcript").utf8)).isEmpty)
    }
  }

  @Test("a live publish (its intent record locked) is left alone by recovery")
  func busyIsLeftAlone() throws {
    let s = Scratch()
    makeStore(s)
    let location = try LoadsetLocation.locate(destination: Array(s.url("transcript/x.T").utf8),
                                              radmindDirectory: Array(s.url("radmind").utf8))
    let publisher = try LoadsetPublisher(destination: location, withFiles: true)
    // flock locks are per open file description: a second open in this process conflicts too.
    #expect(LoadsetPublisher.recover(transcriptRoot: Array(s.url("transcript").utf8)).isEmpty)
    try publisher.transcript.append(Array(dline("./etc").utf8))
    try publisher.commit()
    #expect(s.read("transcript/x.T") == dline("./etc"))
    expectNoTemporaries(s)
  }
}

struct ForcePublishTests {
  @Test("-f changes a clone of t2's files: killed at any step, recovery gives old or new t2, never a mix")
  func killForceAtEachStep() throws {
    let binary = CLI.binary
    try #require(Processes.available(binary), "the loadsmith binary is not built at \(binary)")
    let oldLow = dline("./etc") + fline("./etc/a", size: 1, sum: "LA") + fline("./etc/b", size: 4, sum: "LB")
    for (step, rollsForward) in PublishTests.steps + [("none", true)] {
      let s = Scratch()
      makeStore(s)
      let r = try Processes.run([binary, "lmerge", "-f", "-D", s.url("radmind"), "transcript/high.T", "transcript/low.T"],
                         cwd: s.path, environment: ["LOADSMITH_LMERGE_FAULT": step])
      #expect(r.status == (step == "none" ? 0 : 86), "step \(step): \(r.err)")
      LoadsetPublisher.recover(transcriptRoot: Array(s.url("transcript").utf8))
      if rollsForward {
        #expect(s.read("transcript/low.T") == mergedText, "step \(step)")
        #expect(s.read("file/low.T/etc/a") == "ha" && s.links("file/low.T/etc/a") == 2, "step \(step)")
        #expect(s.links("file/low.T/etc/b") == 1 && s.links("file/low.T/etc/new") == 2, "step \(step)")
        #expect(s.links("file/high.T/etc/a") == 2, "step \(step)")
      } else {
        #expect(s.read("transcript/low.T") == oldLow, "step \(step)")
        #expect(s.read("file/low.T/etc/a") == "l" && s.links("file/low.T/etc/a") == 1, "step \(step)")
        #expect(s.listing("file/low.T") == ["etc/", "etc/a", "etc/b"], "step \(step)")
      }
      expectNoTemporaries(s)
    }
  }
}
