import Testing
@testable import Hashing

struct DigestTests {
  func b64(_ name: String, _ text: String) throws -> String {
    let d = try DigestAlgorithm(named: name).makeDigester()
    d.reset()
    d.update(Array(text.utf8))
    return String(decoding: d.finalizeBase64(), as: UTF8.self)
  }

  @Test("hello\\n hashes to the values radmind printed (spec §4.2)")
  func knownVectors() throws {
    #expect(try b64("sha1", "hello\n") == "9XLTlvrpIGYocU+yzgD3LpTyJY8=")
    #expect(try b64("md5", "hello\n") == "sZRqySSS0jR8YjW00mERhA==")
    #expect(try b64("sha256", "hello\n") == "WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=")
    #expect(try b64("sha1", "") == "2jmj7l5rSw0yVb/vlWAYkK/YBwk=")
  }

  @Test("names resolve through OpenSSL's aliases, ignoring case")
  func aliases() throws {
    #expect(try b64("SHA1", "hello\n") == "9XLTlvrpIGYocU+yzgD3LpTyJY8=")
    #expect(try b64("Sha256", "hello\n") == "WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=")
    #expect(try DigestAlgorithm(named: "sha512").checksumLength == 88)
    #expect(try DigestAlgorithm(named: "md5").checksumLength == 24)
  }

  @Test("a digest OpenSSL knows but cannot instantiate gives an empty checksum, not an error")
  func md4IsEmpty() throws {
    let md4 = try DigestAlgorithm(named: "md4")
    #expect(!md4.isAvailable)
    #expect(try b64("md4", "hello\n") == "")
  }

  @Test("an unknown name is '<name>: unsupported checksum'", arguments: ["nosuch", "sha", "dss1", "md2"])
  func unsupported(name: String) {
    #expect(throws: UnsupportedDigestError(name: name)) { try DigestAlgorithm(named: name) }
    #expect(UnsupportedDigestError(name: name).description == "\(name): unsupported checksum")
  }

  @Test("a digester is reusable: reset starts a new message")
  func reuse() throws {
    let d = try DigestAlgorithm(named: "sha1").makeDigester()
    d.update(Array("garbage".utf8))
    _ = d.finalizeBase64()
    d.reset()
    d.update(Array("hel".utf8)); d.update(Array("lo\n".utf8))
    #expect(String(decoding: d.finalizeBase64(), as: UTF8.self) == "9XLTlvrpIGYocU+yzgD3LpTyJY8=")
  }

  @Test("base64 pads like RFC 4648", arguments: [
    ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
    ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
  ])
  func base64(input: String, expected: String) {
    #expect(String(decoding: Base64.encode(Array(input.utf8)), as: UTF8.self) == expected)
  }

  @Test("base64 uses + and / for 62 and 63")
  func base64HighValues() {
    #expect(String(decoding: Base64.encode([0xFB, 0xFF, 0xBF]), as: UTF8.self) == "+/+/")
  }
}
