import HTTP1
import HTTPServer
import JSON
import Synchronization

/// The document, made once the router is built and before the port opens; the document's own
/// route is registered before that, so it reads it from here.
public final class PublishedDocument: Sendable {
    private let slot = Mutex<APIDocument?>(nil)

    public init() {}

    public func publish(_ document: APIDocument) { slot.withLock { $0 = document } }

    public var current: APIDocument? { slot.withLock { $0 } }
}

/// `GET /v3/api-docs` (the OpenAPI document) and `GET /swagger-ui.html` with its alias `/docs` (a page
/// that renders it with Swagger UI) — API.md, "API description".
public enum DocsRoutes {
    public static let documentPath = "/v3/api-docs"
    /// The default `--swagger-ui-assets-url`: swagger-ui-dist 5 on a public CDN.
    public static let defaultAssetsURL = "https://unpkg.com/swagger-ui-dist@5"
    /// Clients keep the document but ask again each time; the entity tag makes asking cheap.
    private static let cacheControl = HTTPHeader("cache-control", "no-cache")

    public static func register(on router: inout RouterBuilder, document: PublishedDocument, assetsURL: String) {
        router.add(.get, documentPath) { context in serveDocument(&context, document) }
        router.describe(.get, documentPath, describeDocument)
        let page = Self.page(assetsURL: assetsURL)
        let pageHandler: HTTPHandler = { _ in
            .respond(HTTPResponse(status: 200, contentType: .html, headers: [cacheControl, HTTPHeader("x-content-type-options", "nosniff")],
                                  body: page))
        }
        router.add(.get, "/swagger-ui.html", pageHandler)
        router.describe(.get, "/swagger-ui.html", describePage(operationID: "swaggerUI"))
        router.add(.get, "/docs", pageHandler)
        router.describe(.get, "/docs", describePage(operationID: "swaggerUIAlias"))
    }

    // MARK: - The document

    private static func serveDocument(_ context: inout RequestContext, _ published: PublishedDocument) -> HandlerResult {
        guard let document = published.current else {
            return .respond(error(&context, 503, "SERVICE_UNAVAILABLE", "the API description is not built yet",
                                  headers: [HTTPHeader("retry-after", "1")]))
        }
        if let accept = context.headerString("accept"), !Negotiation.accepts(accept, type: "application", subtype: "json") {
            return .respond(error(&context, 406, "NOT_ACCEPTABLE", "the API description is served as application/json only"))
        }
        let headers = [HTTPHeader("etag", document.entityTag), cacheControl]
        if let condition = context.headerString("if-none-match"), Negotiation.matches(condition, entityTag: document.entityTag) {
            return .respond(HTTPResponse(status: 304, contentType: .none, headers: headers, body: []))
        }
        return .respond(HTTPResponse(status: 200, contentType: .json, headers: headers, body: document.bytes))
    }

    private static func error(_ context: inout RequestContext, _ status: Int, _ code: String, _ message: String,
                              headers: [HTTPHeader] = []) -> HTTPResponse {
        let body = ErrorBody.make(code: code, message: message, path: context.path, traceID: context.traceID(),
                                  timestampMilliseconds: context.receivedAtMilliseconds)
        return HTTPResponse(status: status, contentType: .json, headers: headers, body: body)
    }

    // MARK: - The page

    /// The HTML page: Swagger UI from `assetsURL`, pointed at the document. The URL was checked at
    /// start-up (`isValidAssetsURL`); it is escaped anyway.
    static func page(assetsURL: String) -> [UInt8] {
        let base = htmlEscaped(assetsURL.hasSuffix("/") ? String(assetsURL.dropLast()) : assetsURL)
        let html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>reservation-server API</title>
            <link rel="stylesheet" href="\(base)/swagger-ui.css">
            </head>
            <body>
            <div id="swagger-ui"><p>Loading Swagger UI from \(base)&hellip; The description itself is at <a href="\(documentPath)">\(documentPath)</a>.</p></div>
            <script src="\(base)/swagger-ui-bundle.js"></script>
            <script>
            if (typeof SwaggerUIBundle === "function") {
              window.ui = SwaggerUIBundle({ url: "\(documentPath)", dom_id: "#swagger-ui", deepLinking: true });
            } else {
              document.getElementById("swagger-ui").textContent = "Swagger UI could not be loaded from \(base); the description is at \(documentPath).";
            }
            </script>
            </body>
            </html>

            """
        return Array(html.utf8)
    }

    /// Whether `url` may serve Swagger UI's files: an `http`/`https` URL with a host, or a path on
    /// this origin starting with `/`, made of URL characters that need no escaping in HTML or a
    /// JavaScript string (RFC 3986 unreserved, sub-delims except `'`, and `:/?#[]@%`).
    public static func isValidAssetsURL(_ url: String) -> Bool {
        let bytes = Array(url.utf8)
        guard !bytes.isEmpty, bytes.count <= 2048 else { return false }
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&()*+,;=:/?#[]@%".utf8)
        guard bytes.allSatisfy(allowed.contains) else { return false }
        if url.hasPrefix("/") { return !url.hasPrefix("//") }
        for scheme in ["http://", "https://"] where url.lowercased().hasPrefix(scheme) {
            let rest = url.dropFirst(scheme.count)
            let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            return !host.isEmpty && !host.hasPrefix(":") && !host.contains("@")
        }
        return false
    }

    private static func htmlEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    // MARK: - Descriptions of these routes

    private static let describeDocument = OperationDescription(
        operationID: "apiDocs", summary: "This OpenAPI 3.1 document",
        details: "Made once at start-up from the server's routes. Sent with a strong `ETag`; a request whose "
            + "`If-None-Match` lists it gets `304` without a body. `Cache-Control: no-cache`: keep it, but revalidate.",
        tags: ["Documentation"],
        parameters: [
            Parameter.header("If-None-Match", Schema.string(maxLength: 1024), "Entity tags of copies the client holds (RFC 9110 §13.1.2)."),
        ],
        responses: [
            ("200", Response.body("The document.", Schema.object([
                "openapi": Schema.string(values: ["3.1.0"]), "info": Schema.map(.bool(true)), "paths": Schema.map(.bool(true)),
            ], required: ["openapi", "info", "paths"]), headers: ["ETag": Response.headerRef("ETag"), "Cache-Control": Response.headerRef("CacheControl")])),
            ("304", Response.empty("The client's copy is current.", headers: ["ETag": Response.headerRef("ETag")])),
            ("406", Response.body("The request's `Accept` excludes `application/json`.", Schema.ref("Error"))),
        ],
        security: [])

    private static func describePage(operationID: String) -> OperationDescription {
        OperationDescription(
            operationID: operationID, summary: "Swagger UI for this document",
            details: "An HTML page that loads Swagger UI from `--swagger-ui-assets-url` and renders `\(documentPath)`; "
                + "\"Try it out\" sends requests to this server. `/swagger-ui.html` and `/docs` are the same page.",
            tags: ["Documentation"],
            responses: [("200", Response.body("The page.", mediaType: "text/html", Schema.string()))],
            security: [])
    }

    /// What the routes of this file refer to: the error envelope, and the caching headers.
    public static var components: Components {
        var components = Components()
        components.schemas["Error"] = Schema.object([
            "error": Schema.object([
                "code": Schema.string("Stable, machine-readable; see each response for the codes it may carry.", pattern: "^[A-Z][A-Z0-9_]*$"),
                "message": Schema.string("For people; may change."),
                "timestamp": Schema.string("When the request arrived (RFC 3339, UTC).", format: "date-time"),
                "path": Schema.string("The request's path as sent."),
                "traceId": Schema.string("W3C trace id: the incoming `traceparent`'s, or a new one; the server's log line has it too.",
                                         pattern: "^[0-9a-f]{32}$"),
                "details": Schema.map(Schema.string(), "One problem per invalid field (validation errors only)."),
            ], required: ["code", "message", "timestamp", "path", "traceId"]),
        ], required: ["error"], "The body of every error response.")
        components.headers["ETag"] = Response.header(Schema.string(pattern: "^\"[0-9a-f]{32}\"$"), "Strong entity tag of the document.", required: true)
        components.headers["CacheControl"] = Response.header(Schema.string(values: ["no-cache"]), "Keep, but revalidate before use.", required: true)
        return components
    }
}

/// `Accept` and `If-None-Match`, read the way RFC 9110 §12.5.1 and §13.1.2 describe.
enum Negotiation {
    /// Whether an `Accept` value admits `type/subtype`: some range covers it (`*/*`, `type/*`, the type
    /// itself) with a q-value above 0, the most specific matching range deciding.
    static func accepts(_ accept: String, type: String, subtype: String) -> Bool {
        var best: (specificity: Int, acceptable: Bool)?
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingWhitespace().lowercased() }
            guard let mediaRange = parts.first, !mediaRange.isEmpty else { continue }
            let names = mediaRange.split(separator: "/", maxSplits: 1).map(String.init)
            guard names.count == 2 else { continue }
            let specificity: Int
            if names[0] == "*" && names[1] == "*" {
                specificity = 0
            } else if names[0] == type && names[1] == "*" {
                specificity = 1
            } else if names[0] == type && names[1] == subtype {
                specificity = 2
            } else {
                continue
            }
            var quality = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 1.0
            }
            if best == nil || specificity > best!.specificity { best = (specificity, quality > 0) }
        }
        return best?.acceptable ?? accept.trimmingWhitespace().isEmpty
    }

    /// Whether an `If-None-Match` value names `entityTag` (weak comparison) or is `*`.
    static func matches(_ condition: String, entityTag: String) -> Bool {
        let strong = entityTag.hasPrefix("W/") ? String(entityTag.dropFirst(2)) : entityTag
        for candidate in condition.split(separator: ",") {
            var tag = candidate.trimmingWhitespace()
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = String(tag.dropFirst(2)) }
            if tag == strong { return true }
        }
        return false
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
