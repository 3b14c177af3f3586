import Store
import TranscriptIO

/// A request that cannot be answered: the status and a message that names what was asked.
struct ServeError: Error, Sendable {
  var status: Int
  var message: String
  init(_ status: Int, _ message: String) {
    self.status = status
    self.message = message
  }

  static func badRequest(_ message: String) -> ServeError { ServeError(400, message) }
  static func notFound(_ message: String) -> ServeError { ServeError(404, message) }

  /// `{"error":{"status":404,"message":"..."}}`.
  var json: String { "{\"error\":{\"status\":\(status),\"message\":\(JSONText.quote(message))}}\n" }

  var html: String {
    let title = ServeError.reason(status)
    return HTML.page(title: title, body: "<h1>\(status) \(HTML.escape(title))</h1><p class=err>\(HTML.escape(message))</p><p><a href=\"/\">Overview</a></p>")
  }

  static func reason(_ status: Int) -> String {
    switch status {
    case 400: return "Bad Request"
    case 404: return "Not Found"
    case 405: return "Method Not Allowed"
    default: return "Server Error"
    }
  }
}
