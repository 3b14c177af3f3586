import Hummingbird
import NIOCore
import Store

/// The HTTP side: routes, the read-only rule (GET and HEAD only, anything else 405), and
/// errors as HTML pages or, under `/api/v1/`, as JSON.
package enum Server {
  /// Builds the application over `store`; `onListening` gets the bound port (for `--bind HOST:0`).
  package static func application(store: LoadsetStore, host: String, port: Int,
                                 onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
    let site = Site(store: store)
    let router = Router(options: .autoGenerateHeadEndpoints)
    router.middlewares.add(ReadOnlyMiddleware())

    router.get("/") { _, _ in respond(.html) { () throws(ServeError) in try site.overview(.html) } }
    router.get("/series/:name") { _, context in
      let name = context.parameters.get("name") ?? ""
      return respond(.html) { () throws(ServeError) in try site.series(name, .html) }
    }
    router.get("/loadset/:name") { request, context in
      let name = context.parameters.get("name") ?? ""
      return respond(.html) { () throws(ServeError) in try site.loadset(name, query(request), .html) }
    }
    router.get("/diff") { request, _ in respond(.html) { () throws(ServeError) in try site.diff(query(request), .html) } }
    router.get("/history") { request, _ in respond(.html) { () throws(ServeError) in try site.history(query(request), .html) } }
    router.get("/dsl") { _, _ in respond(.html) { () throws(ServeError) in try site.dsl(.html) } }

    router.get("/api/v1/status") { _, _ in respond(.json) { () throws(ServeError) in try site.overview(.json) } }
    router.get("/api/v1/series/:name") { _, context in
      let name = context.parameters.get("name") ?? ""
      return respond(.json) { () throws(ServeError) in try site.series(name, .json) }
    }
    router.get("/api/v1/loadset/:name") { request, context in
      let name = context.parameters.get("name") ?? ""
      return respond(.json) { () throws(ServeError) in try site.loadset(name, query(request), .json) }
    }
    router.get("/api/v1/diff") { request, _ in respond(.json) { () throws(ServeError) in try site.diff(query(request), .json) } }
    router.get("/api/v1/history") { request, _ in respond(.json) { () throws(ServeError) in try site.history(query(request), .json) } }
    router.get("/api/v1/dsl") { _, _ in respond(.json) { () throws(ServeError) in try site.dsl(.json) } }

    router.get("/api/**") { request, _ in
      respond(.json) { () throws(ServeError) -> String in throw .notFound("no such API document: \(request.uri.path)") }
    }
    router.get("**") { request, _ in
      respond(.html) { () throws(ServeError) -> String in throw .notFound("no such page: \(request.uri.path)") }
    }

    return Application(
      router: router,
      configuration: .init(address: .hostname(host, port: port), serverName: "loadsmith"),
      onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) })
  }

  /// The decoded query parameters (the first value of each name).
  static func query(_ request: Request) -> Site.Query {
    var out: Site.Query = [:]
    for (k, v) in request.uri.queryParameters where out[String(k)] == nil { out[String(k)] = String(v) }
    return out
  }

  static func respond(_ format: Site.Format, _ body: () throws(ServeError) -> String) -> Response {
    do {
      return response(200, format, try body())
    } catch {
      return response(error.status, format, format == .json ? error.json : error.html)
    }
  }

  static func response(_ status: Int, _ format: Site.Format, _ text: String) -> Response {
    var headers: HTTPFields = [
      .contentType: format == .json ? "application/json; charset=utf-8" : "text/html; charset=utf-8",
      .cacheControl: "no-store",
      .xContentTypeOptions: "nosniff",
    ]
    if format == .html { headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'" }
    return Response(status: .init(code: status), headers: headers,
                    body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
  }
}

/// Only GET and HEAD reach the routes; anything else is 405 with `Allow: GET, HEAD`.
struct ReadOnlyMiddleware<Context: RequestContext>: RouterMiddleware {
  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    guard request.method == .get || request.method == .head else {
      let error = ServeError(405, "\(request.method.rawValue) is not allowed: loadsmith serve is read-only (GET and HEAD only)")
      let isAPI = request.uri.path.hasPrefix("/api/")
      var response = Server.response(405, isAPI ? .json : .html, isAPI ? error.json : error.html)
      response.headers[.allow] = "GET, HEAD"
      return response
    }
    return try await next(request, context)
  }
}
