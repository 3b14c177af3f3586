import Testing
@testable import Archive
@Test func placeholder() {}
