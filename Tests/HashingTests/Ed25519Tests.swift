import Hashing
import Testing

@Suite struct Ed25519Tests {
  @Test("a generated key signs; its public key verifies exactly those bytes")
  func signAndVerify() throws {
    let key = try SigningKey.generate(name: "dsps-dsl-1")
    let message = Array("{\"format\": \"loadsmith-dsl-manifest 1\"}\n".utf8)
    let signature = try key.sign(message)
    #expect(signature.count == 64)
    #expect(key.publicKey.verify(signature: signature, of: message))
    var flipped = message
    flipped[5] ^= 1
    #expect(!key.publicKey.verify(signature: signature, of: flipped))
    #expect(!key.publicKey.verify(signature: Array(signature.dropLast()), of: message))
    let other = try SigningKey.generate(name: "dsps-dsl-2")
    #expect(!other.publicKey.verify(signature: signature, of: message))
  }

  @Test("key lines round-trip; the private line gives the same public key")
  func lines() throws {
    let key = try SigningKey.generate(name: "k1")
    let again = try SigningKey(line: key.line + "\n")
    #expect(again.publicKey == key.publicKey)
    #expect(try PublicKey(line: key.publicKey.line) == key.publicKey)
    #expect(key.publicKey.line.hasPrefix("k1:"))
  }

  @Test("RFC 8032 test vector 1: seed, public key and the empty message's signature")
  func rfc8032Vector() throws {
    func hex(_ s: String) -> [UInt8] {
      var out: [UInt8] = []
      var i = s.startIndex
      while i < s.endIndex { let j = s.index(i, offsetBy: 2); out.append(UInt8(s[i..<j], radix: 16)!); i = j }
      return out
    }
    let key = try SigningKey(name: "rfc", seed: hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
    #expect(key.publicKey.raw == hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
    let expected = hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    #expect(try key.sign([]) == expected)
  }

  @Test("malformed key lines are refused with a reason")
  func malformed() {
    #expect(throws: SignatureError.self) { try PublicKey(line: "no-colon") }
    #expect(throws: SignatureError.self) { try PublicKey(line: "k:not*base64") }
    #expect(throws: SignatureError.self) { try PublicKey(line: "k:AAAA") }  // 3 bytes
    #expect(throws: SignatureError.self) { try PublicKey(line: "bad name:" + String(repeating: "A", count: 43) + "=") }
    #expect(throws: SignatureError.self) { try SigningKey(line: "k:" + String(repeating: "A", count: 40)) }
  }

  @Test("base64 decoding is the inverse of encoding and refuses bad input")
  func base64() {
    for n in 0..<40 {
      let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
      #expect(Base64.decode(Base64.encode(bytes)) == bytes)
    }
    #expect(Base64.decode(Array("A===".utf8)) == nil)
    #expect(Base64.decode(Array("AA=A".utf8)) == nil)
    #expect(Base64.decode(Array("AAA".utf8)) == nil)
  }
}
