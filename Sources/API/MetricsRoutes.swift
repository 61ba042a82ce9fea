import HTTPServer
import Metrics

/// Prometheus text format 0.0.4 at `/actuator/prometheus` and `/metrics`.
public enum MetricsRoutes {
    public static func register(on router: inout RouterBuilder, registry: MetricsRegistry) {
        let handler: HTTPHandler = { _ in .respond(HTTPResponse(status: 200, contentType: .prometheus, body: registry.render())) }
        router.add(.get, "/actuator/prometheus", handler)
        router.add(.get, "/metrics", handler)
    }
}
