import HTTPServer
import JSON
import OpenAPI
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
        router.describe(.get, "/health", describeLiveness("liveness", "Liveness"))
        router.add(.get, "/actuator/health/liveness") { _ in .respond(HTTPResponse(status: 200, body: upBody)) }
        router.describe(.get, "/actuator/health/liveness", describeLiveness("actuatorLiveness", "Liveness (actuator path)"))
        // Readiness: start-up has finished and the server is not draining.
        router.add(.get, "/actuator/health/readiness") { _ in
            readiness.isReady
                ? .respond(HTTPResponse(status: 200, body: upBody))
                : .respond(HTTPResponse(status: 503, headers: [HTTPHeader("retry-after", "1")], body: downBody))
        }
        router.describe(.get, "/actuator/health/readiness", describeReadiness)
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
        router.describe(.get, "/actuator/health", describeHealth)
    }

    // MARK: - Descriptions (OpenAPI)

    private static let status = Schema.object(["status": Schema.string(values: ["UP", "DOWN"])], required: ["status"])

    private static func describeLiveness(_ id: String, _ summary: String) -> OperationDescription {
        OperationDescription(
            operationID: id, summary: summary, details: "`UP` as soon as the port is open.", tags: ["Operations"],
            responses: [("200", Response.body("The process answers.", status, example: ["status": "UP"]))], security: [])
    }

    private static let describeReadiness = OperationDescription(
        operationID: "readiness", summary: "Readiness",
        details: "`UP` once start-up recovery has finished; `DOWN` before that and while draining. Send traffic only when `UP`.",
        tags: ["Operations"],
        responses: [
            ("200", Response.body("Ready.", status, example: ["status": "UP"])),
            ("503", Response.body("Starting or draining.", status, example: ["status": "DOWN"],
                                  headers: ["Retry-After": Response.header(Schema.string(pattern: "^[0-9]+$"), "Seconds.", required: true)])),
        ],
        security: [])

    private static let describeHealth: OperationDescription = {
        let component = Schema.object([
            "status": Schema.string(values: ["UP", "DOWN"]),
            "details": Schema.map(Schema.string()),
        ], required: ["status"])
        let health = Schema.object([
            "status": Schema.string(values: ["UP", "DOWN"]),
            "components": Schema.map(component, "database, writer, recovery."),
        ], required: ["status", "components"])
        return OperationDescription(
            operationID: "health", summary: "Health with components",
            details: "`UP` only when ready and every component is up.", tags: ["Operations"],
            responses: [("200", Response.body("Healthy.", health)), ("503", Response.body("Not ready, or a component is down.", health))],
            security: [])
    }()
}
