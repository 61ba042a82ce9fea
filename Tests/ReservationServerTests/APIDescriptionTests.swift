import Foundation
import Glibc
import TestSupport
import Testing

/// The binary's own routes against its OpenAPI document: every route has a description (else the
/// start-up log says which has none), and every described operation answers (no 404 for a route that
/// does not exist, no 405 for a method it lacks).
@Suite struct APIDescriptionTests {
    @Test func everyRouteIsDescribed_andEveryDescribedOperationExists() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("docs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try ServerProcess(arguments: ["--host", "127.0.0.1", "--port", "0", "--db", directory.appendingPathComponent("r.db").path])
        let port = try server.waitUntilListening()

        let client = try TestClient(port: port)
        try client.send("GET /v3/api-docs HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])

        let log = server.log
        #expect(log.contains(#""msg":"API description built""#))
        #expect(!log.contains("API description incomplete"), "\(log)")
        let built = try #require(log.split(separator: "\n").first { $0.contains(#""msg":"API description built""#) })
        let operationCount = paths.values.reduce(0) { $0 + $1.count }
        #expect(built.contains(#""operations":\#(operationCount)"#))
        #expect(operationCount >= 21)

        for (template, item) in paths.sorted(by: { $0.key < $1.key }) {
            // Path parameters get a value no resource has: a route that exists answers 404 with a
            // business code, not the router's NOT_FOUND.
            let path = template.replacingOccurrences(of: #"\{[^}]+\}"#, with: "x_missing", options: .regularExpression)
            for method in item.keys {
                let probe = try TestClient(port: port)
                let body = method == "post" ? "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}" : "\r\n"
                try probe.send("\(method.uppercased()) \(path) HTTP/1.1\r\nHost: t\r\nIdempotency-Key: k-\(UUID().uuidString)\r\n\(body)")
                let answer = try probe.readResponse()
                #expect(answer.status != 405, "\(method) \(template) is described but not routed")
                #expect(!answer.bodyText.contains(#""code":"NOT_FOUND""#), "\(method) \(template) is described but not routed")
            }
        }
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }
}
