import Foundation
import StoreTestSupport
import Testing

/// The round trip of scripts/roundtrip.sh in a scratch store: two bin builds released and rolled
/// back, a neg build, two cfg snapshots promoted and rolled back, command files, a DSL.
enum Fixture {
  static let bin = "was-apache-bin-rhel5"

  static func roundTrip(_ label: String) throws -> (dir: String, staging: String, store: String) {
    let s = try CLI.scratch(label)
    try CLI.ok(["init", s.store, "--dsl", s.dir + "/dsl"], store: s.store)
    try CLI.ok(["capture", s.staging, "--loadset", bin, "--node", "/usr/local/apache", "--node", "/etc/httpd", "--version", "001.001"], store: s.store)
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-neg-rhel5", "--node", "/var/log/httpd", "--version", "001.001"], store: s.store)
    try CLI.ok(["build", bin, "001.001"], store: s.store)
    try CLI.ok(["build", "was-apache-neg-rhel5", "001.001"], store: s.store)
    try CLI.ok(["release", bin, "001.001"], store: s.store)
    try CLI.ok(["release", "was-apache-neg-rhel5", "001.001"], store: s.store)
    try "mod_ssl fixture module v2 (security fix)\n".write(toFile: s.staging + "/usr/local/apache/modules/mod_ssl.so", atomically: true, encoding: .utf8)
    try CLI.ok(["capture", s.staging, "--loadset", bin, "--node", "/usr/local/apache", "--node", "/etc/httpd", "--next-minor"], store: s.store)
    try CLI.ok(["build", bin, "001.002"], store: s.store)
    try CLI.ok(["release", bin, "001.002"], store: s.store)
    try CLI.ok(["rollback", bin], store: s.store)
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd/conf"], store: s.store)
    try CLI.ok(["promote", "was-apache-cfg"], store: s.store)
    try CLI.sh("printf 'KeepAlive On\\n' >> '\(s.staging)/etc/httpd/conf/httpd.conf'")
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd/conf"], store: s.store)
    try CLI.ok(["promote", "was-apache-cfg"], store: s.store)
    try CLI.ok(["rollback", "was-apache-cfg"], store: s.store)
    try CLI.ok(["command", "write", "was-apache"], store: s.store)
    try CLI.ok(["archive", "was-apache-cfg-stable"], store: s.store)
    return s
  }
}
