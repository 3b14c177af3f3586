import Foundation
@testable import Store
import StoreTestSupport
import Testing

/// A pin's file name is `SERIES@TIER`: a series at its own limit plus a long tier must be refused
/// before any intent is written, not fail with ENAMETOOLONG halfway through a deploy.
struct PinNameLimitTests {
  @Test("a pin name past NAME_MAX (with its temporary) is a problem checkCanFinish reports; one that fits is not")
  func pinNamePastNameMax() throws {
    let scratch = Scratch()
    let store = try LoadsetStore.initialize(at: scratch.path + "/store")
    let series = "w" + String(repeating: "a", count: 180) + "-apache-bin-rhel5"
    let long = series + "@" + String(repeating: "T", count: 60)
    let problem = store.pinProblem(long, target: "-")
    #expect(problem?.contains("more than NAME_MAX (255)") == true, "\(problem ?? "nil")")
    #expect(store.pinProblem(series + "@TEST", target: "-") == nil)
  }
}
