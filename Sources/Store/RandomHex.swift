/// `bytes` random bytes as lowercase hex: the unique part of the store's temporary names.
func randomHex(_ bytes: Int = 8) -> String {
  var out = ""
  for _ in 0..<bytes {
    let b = UInt8.random(in: 0...255)
    out += String(b >> 4, radix: 16) + String(b & 15, radix: 16)
  }
  return out
}
