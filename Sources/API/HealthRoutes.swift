import HTTPServer
import JSON
import Service

/// One part of the server's health, for `/actuator/health`.
public struct HealthComponent: Sendable {
    public var name: String
    public var isUp: Bool
    public var details: [(key: String, value: String)]

    public init(name: String, isUp: Bool, details: [(key: String, value: String)] = []) {
        self.name = name
        self.isUp = isUp
        self.details = details
    }
}

/// Liveness, readiness and the component view (API.md, "Operations").
public enum HealthRoutes {
    private static let upBody = Array(#"{"status":"UP"}"#.utf8)
    private static let downBody = Array(#"{"status":"DOWN"}"#.utf8)

    /// - Parameter components: read at request time (database, writer, recovery …).
    public static func register(on router: inout RouterBuilder, readiness: Readiness,
                                components: @escaping @Sendable () -> [HealthComponent] = { [] }) {
        // Liveness: the process is up and its loops answer, as soon as the port is open.
        router.add(.get, "/health") { _ in .respond(HTTPResponse(status: 200, body: upBody)) }
        router.add(.get, "/actuator/health/liveness") { _ in .respond(HTTPResponse(status: 200, body: upBody)) }
        // Readiness: start-up has finished and the server is not draining.
        router.add(.get, "/actuator/health/readiness") { _ in
            readiness.isReady
                ? .respond(HTTPResponse(status: 200, body: upBody))
                : .respond(HTTPResponse(status: 503, headers: [HTTPHeader("retry-after", "1")], body: downBody))
        }
        // Everything at once: UP only when ready and every component is up.
        router.add(.get, "/actuator/health") { _ in
            let parts = components()
            let up = readiness.isReady && parts.allSatisfy(\.isUp)
            var writer = JSONWriter(reservingCapacity: 256)
            writer.beginObject()
            writer.key("status"); writer.string(up ? "UP" : "DOWN")
            writer.key("components")
            writer.beginObject()
            for part in parts {
                writer.key(part.name)
                writer.beginObject()
                writer.key("status"); writer.string(part.isUp ? "UP" : "DOWN")
                if !part.details.isEmpty {
                    writer.key("details")
                    writer.beginObject()
                    for (key, value) in part.details { writer.key(key); writer.string(value) }
                    writer.endObject()
                }
                writer.endObject()
            }
            writer.endObject()
            writer.endObject()
            return .respond(HTTPResponse(status: up ? 200 : 503, body: writer.bytes))
        }
    }
}
