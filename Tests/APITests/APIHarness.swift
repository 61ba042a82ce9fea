import API
import EventLoop
import Foundation
import HTTPServer
import Logging
import Reservations
import Service
import Storage
import TestSupport

/// The whole server in-process over a temporary database: writer, per-loop readers, API, loops.
final class APIHarness {
    let directory: URL
    let writer: Writer
    let readiness = Readiness()
    let group: EventLoopGroup
    var port: Int { group.port }

    init(threads: Int = 2, ready: Bool = true, holdPolicy: HoldPolicy = HoldPolicy()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("api-\(UUID().uuidString)")
        let path = directory.appendingPathComponent("test.db").path
        var writerConfiguration = Writer.Configuration(path: path)
        writerConfiguration.holdPolicy = holdPolicy
        writer = try Writer(configuration: writerConfiguration)
        try writer.waitUntilReady()
        let readers = PerLoop<any InventoryReader>(try (0..<threads).map { _ in try SQLiteInventoryReader(path: path) })
        var configuration = ServiceConfiguration()
        configuration.holdPolicy = holdPolicy
        let service = ReservationService(configuration: configuration, commands: writer, readers: readers,
                                         readiness: readiness) { [writer] in writer.cursorKey }
        let api = RESTAPI(service: service, log: Log(level: .error))
        var routes = RouterBuilder()
        HealthRoutes.register(on: &routes, readiness: readiness)
        api.register(on: &routes)
        let server = HTTPServer(router: try routes.build(), configuration: HTTPServerConfiguration(), loopCount: threads)
        var loops = EventLoopConfiguration()
        loops.loopWillSleep = { loop in readers[loop].resetStatements() }
        loops.host = "127.0.0.1"
        loops.port = 0
        loops.threadCount = threads
        group = try EventLoopGroup(configuration: loops, service: server)
        try group.start()
        if ready { readiness.markReady() }
    }

    deinit {
        group.shutdown(graceSeconds: 2)
        writer.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    /// One request on a new connection.
    func request(_ method: String, _ path: String, json: String? = nil, headers: [String: String] = [:]) throws -> TestClient.Response {
        let client = try TestClient(port: port, timeoutSeconds: 30)
        return try client.exchange(method, path, json: json, headers: headers)
    }
}

extension TestClient {
    func exchange(_ method: String, _ path: String, json: String? = nil, headers: [String: String] = [:]) throws -> Response {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: test\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        var body: [UInt8] = []
        if let json {
            body = Array(json.utf8)
            if headers["Content-Type"] == nil { head += "Content-Type: application/json\r\n" }
            head += "Content-Length: \(body.count)\r\n"
        }
        try send(Array((head + "\r\n").utf8) + body)
        return try readResponse()
    }
}

extension TestClient.Response {
    /// The body as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }

    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
}
