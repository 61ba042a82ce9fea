import HTTPServer

/// Liveness and readiness (API.md, "Operations").
public enum HealthRoutes {
    private static let upBody = Array(#"{"status":"UP"}"#.utf8)
    private static let downBody = Array(#"{"status":"DOWN"}"#.utf8)

    public static func register(on router: inout RouterBuilder, readiness: Readiness) {
        // Liveness: the process is up and its loops answer, as soon as the port is open.
        router.add(.get, "/health") { _ in .respond(HTTPResponse(status: 200, body: upBody)) }
        router.add(.get, "/actuator/health/liveness") { _ in .respond(HTTPResponse(status: 200, body: upBody)) }
        // Readiness: start-up has finished and the server is not draining.
        router.add(.get, "/actuator/health/readiness") { _ in
            readiness.isReady
                ? .respond(HTTPResponse(status: 200, body: upBody))
                : .respond(HTTPResponse(status: 503, headers: [HTTPHeader("retry-after", "1")], body: downBody))
        }
    }
}
