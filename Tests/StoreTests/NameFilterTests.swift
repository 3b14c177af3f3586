@testable import Store
import Testing

/// The one name-filter rule behind `status NAME`, `log NAME`, `verify NAME` and tier status.
@Suite struct NameFilterTests {
  @Test("names match at '-' boundaries, with or without .T, in the direction each reader asks")
  func boundaries() {
    let series = NameFilter("was-apache-bin-rhel5.T")
    #expect(series.stem == "was-apache-bin-rhel5")
    #expect(series.selects("was-apache-bin-rhel5-001.001.T") && series.selects("was-apache-bin-rhel5"))
    #expect(!series.selects("was-apache-bin-rhel5x-001.001.T") && !series.selects("was-apache"))
    #expect(series.isCovered(by: "was-apache") && !series.isCovered(by: "was-apach"))
    #expect(series.relates("was-apache") && series.relates("was-apache-bin-rhel5-001.001") && !series.relates("was-php"))
    // A record naming a loadset concerns its series; one naming another series does not.
    let record = HistoryRecord(event: "move", name: "was-apache-bin-rhel5-current.T", from: "was-apache-bin-rhel5-001.001.T",
                               to: "was-apache-bin-rhel5-001.002.T", checksum: "-", intent: "-")
    #expect(record.concerns("was-apache-bin-rhel5") && record.concerns("was-apache") && !record.concerns("was-apache-cfg"))
  }
}
