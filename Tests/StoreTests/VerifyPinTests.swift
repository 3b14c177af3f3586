import Foundation
import StoreTestSupport
import Testing

/// `verify` checks tier pins: a damaged pin record is a problem it names, a sound one is not.
@Suite(.serialized) struct VerifyPinTests {
  @Test("verify passes with a sound pin and names a damaged one (bad target, two lines, not a pin name)")
  func verifyChecksPins() throws {
    let s = try TierPinTests.twoBuilds("verify-pins")
    defer { CLI.remove(s.dir) }
    let bin = TierPinTests.bin
    try CLI.ok(["deploy", bin, "001.001", "--tier", "TEST"], store: s.store)
    let sound = try CLI.run(["verify"], store: s.store)
    #expect(sound.status == 0, "\(sound.out)\(sound.err)")

    let pin = s.store + "/.loadsmith/pins/\(bin)@TEST"
    let good = try String(contentsOfFile: pin, encoding: .utf8)
    try "\(bin)-009.009.T\n".write(toFile: pin, atomically: false, encoding: .utf8)
    let missing = try CLI.run(["verify"], store: s.store)
    #expect(missing.status != 0)
    #expect((missing.out + missing.err).contains("\(bin)@TEST: damaged pin record"), "\(missing.out)\(missing.err)")

    try (good + good).write(toFile: pin, atomically: false, encoding: .utf8)
    let twoLines = try CLI.run(["verify"], store: s.store)
    #expect(twoLines.status != 0)
    #expect((twoLines.out + twoLines.err).contains("expected one line naming a loadset"), "\(twoLines.out)\(twoLines.err)")

    try good.write(toFile: pin, atomically: false, encoding: .utf8)
    try good.write(toFile: s.store + "/.loadsmith/pins/stray", atomically: false, encoding: .utf8)
    let stray = try CLI.run(["verify"], store: s.store)
    #expect(stray.status != 0)
    #expect((stray.out + stray.err).contains(".loadsmith/pins/stray: not a pin name (SERIES@TIER)"), "\(stray.out)\(stray.err)")
  }
}
