import HTTPServer

/// Liveness: the process is up and its loops answer.
public enum HealthRoutes {
    private static let upBody = Array(#"{"status":"UP"}"#.utf8)

    public static func register(on router: inout RouterBuilder) {
        router.add(.get, "/health") { _ in
            .respond(HTTPResponse(status: 200, body: upBody))
        }
    }
}
