import HTTPServer
import Metrics
import OpenAPI

/// Prometheus text format 0.0.4 at `/actuator/prometheus` and `/metrics`.
public enum MetricsRoutes {
    public static func register(on router: inout RouterBuilder, registry: MetricsRegistry) {
        let handler: HTTPHandler = { _ in .respond(HTTPResponse(status: 200, contentType: .prometheus, body: registry.render())) }
        router.add(.get, "/actuator/prometheus", handler)
        router.describe(.get, "/actuator/prometheus", describe("prometheus"))
        router.add(.get, "/metrics", handler)
        router.describe(.get, "/metrics", describe("metrics"))
    }

    private static func describe(_ id: String) -> OperationDescription {
        OperationDescription(
            operationID: id, summary: "Prometheus metrics", details: "Text format 0.0.4: HTTP, gRPC, writer, expiry and process series.",
            tags: ["Operations"],
            responses: [("200", Response.body("The metrics.", mediaType: "text/plain", Schema.string()))], security: [])
    }
}
