/// glibc's encoding of a device number (`st_dev`, `st_rdev`) into major and minor
/// (`gnu_dev_major`/`gnu_dev_minor` are macros Swift cannot call): fsdiff's `b`/`c` lines and
/// the lock holder's `/proc/locks` line both read it.
package enum DeviceNumber {
  package static func major(_ dev: UInt64) -> UInt64 { ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff) }
  package static func minor(_ dev: UInt64) -> UInt64 { (dev & 0xff) | ((dev >> 12) & ~0xff) }
}
