import RadmindFormat
import XCTest

final class StorePathRuleTests: XCTestCase {
  private func problem(_ path: String) -> String? { StorePathRule.problem(in: Array(path.utf8)) }

  func testOrdinaryPathsAreAllowed() {
    for path in ["/", ".", "/usr", "/usr/local/apache/conf/httpd.conf", "./etc/passwd", "/a/.hidden", "/a/..b", "/a/b..", "relative/x"] {
      XCTAssertNil(problem(path), path)
    }
    XCTAssertNil(StorePathRule.problem(in: [0x2F, 0xFF, 0xFE]))  // not UTF-8: still a name
  }

  func testEscapingAndAmbiguousPathsAreRefused() {
    XCTAssertEqual(problem("/../../../etc/passwd"), "has a '..' component")
    XCTAssertEqual(problem("/usr/.."), "has a '..' component")
    XCTAssertEqual(problem("../x"), "has a '..' component")
    XCTAssertEqual(problem("./.."), "has a '..' component")
    XCTAssertEqual(problem("/usr/./lib"), "has a '.' component")
    XCTAssertEqual(problem("/usr//lib"), "has an empty component")
    XCTAssertEqual(problem("/usr/lib/"), "has an empty component")
    XCTAssertEqual(problem("./"), "has an empty component")
    XCTAssertEqual(problem(""), "is empty")
    XCTAssertEqual(StorePathRule.problem(in: Array("/etc/passwd".utf8) + [0, 0x41]), "contains a NUL byte")
  }
}
