import Foundation
import Glibc
import TestSupport
import Testing

/// Operations seen from outside the process: metrics, trace context, health while draining.
@Suite struct OperationsTests {
    private func startServer(_ extra: [String] = []) throws -> (ServerProcess, Int, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ops-\(UUID().uuidString)")
        let server = try ServerProcess(arguments: ["--host", "127.0.0.1", "--port", "0", "--db", directory.appendingPathComponent("r.db").path] + extra)
        let port = try server.waitUntilListening()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let client = try TestClient(port: port)
            try client.send("GET /actuator/health/readiness HTTP/1.1\r\nHost: t\r\n\r\n")
            if try client.readResponse().status == 200 { break }
            usleep(20_000)
        }
        return (server, port, directory)
    }

    private func scrape(_ port: Int) throws -> String {
        let client = try TestClient(port: port)
        try client.send("GET /actuator/prometheus HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        return response.bodyText
    }

    private func count(_ text: String, route: String, status: Int) -> Int {
        let prefix = #"http_server_requests_seconds_count{method="GET",route="\#(route)",status="\#(status)"} "#
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) { return Int(line.dropFirst(prefix.count)) ?? -1 }
        return 0
    }

    @Test func requestCounter_movesByExactlyTheRequestsSent_andPromtoolAcceptsTheScrape() throws {
        let (server, port, directory) = try startServer()
        defer { try? FileManager.default.removeItem(at: directory) }
        let before = try scrape(port)
        let client = try TestClient(port: port)
        for _ in 0..<7 {
            try client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            _ = try client.readResponse()
        }
        for _ in 0..<3 {
            try client.send("GET /v1/events/evt_missing HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().status == 404)
        }
        let after = try scrape(port)
        #expect(count(after, route: "/health", status: 200) - count(before, route: "/health", status: 200) == 7)
        #expect(count(after, route: "/v1/events/{eventId}", status: 404) == 3)
        #expect(!after.contains("evt_missing"), "the raw path never becomes a label")
        for name in ["process_resident_memory_bytes", "process_open_fds", "process_cpu_seconds_total", "process_start_time_seconds"] {
            #expect(after.contains("\n\(name) ") || after.hasPrefix("\(name) "), "missing \(name)")
        }
        if Promtool.path != nil {
            let (status, report) = try Promtool.checkMetrics(Array(after.utf8))
            #expect(status == 0, "promtool said: \(report)")
        }
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    @Test func traceparent_sameTraceIdInErrorBodyResponseHeaderAndAccessLog() throws {
        let (server, port, directory) = try startServer()
        defer { try? FileManager.default.removeItem(at: directory) }
        let trace = "0af7651916cd43dd8448eb211c80319c"
        let client = try TestClient(port: port)
        try client.send("GET /v1/events/evt_missing HTTP/1.1\r\nHost: t\r\nX-User-Id: alice\r\ntraceparent: 00-\(trace)-b7ad6b7169203331-01\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 404)
        #expect(response.bodyText.contains(#""traceId":"\#(trace)""#))
        let header = try #require(response.header("traceparent"))
        #expect(header.hasPrefix("00-\(trace)-"))
        #expect(!header.contains("b7ad6b7169203331"), "the server answers with its own span id")
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
        let access = server.log.split(separator: "\n").first { $0.contains(#""msg":"access""#) && $0.contains(trace) }
        let line = try #require(access.map(String.init), "no access line with the trace id in: \(server.log)")
        #expect(line.contains(#""route":"/v1/events/{eventId}""#))
        #expect(line.contains(#""status":404"#))
        #expect(line.contains(#""user":"alice""#))
        #expect(line.contains(#""durationUs":"#))
    }

    @Test func withoutTraceparent_aTraceIdIsMadeAndSharedByBodyAndHeader() throws {
        let (server, port, directory) = try startServer(["--access-log-sample-rate", "0"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let client = try TestClient(port: port)
        try client.send("GET /nope HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        let header = try #require(response.header("traceparent"))
        let trace = header.split(separator: "-")[1]
        #expect(trace.count == 32)
        #expect(response.bodyText.contains(#""traceId":"\#(trace)""#))
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
        #expect(!server.log.contains(#""msg":"access""#), "sample rate 0 turns access lines off")
    }

    @Test func readiness_turns503WhileDraining() throws {
        let (server, port, directory) = try startServer(["--shutdown-grace-seconds", "5"])
        defer { try? FileManager.default.removeItem(at: directory) }
        // Keep a request in flight so the drain lasts, then ask for readiness on that connection's neighbour.
        let busy = try TestClient(port: port)
        let watcher = try TestClient(port: port)
        try busy.send("GET /health HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nx")
        try watcher.send("GET /actuator/health/readiness HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nx")
        usleep(100_000)
        server.signal(SIGTERM)
        usleep(200_000)
        try watcher.send("y")
        let response = try watcher.readResponse()
        #expect(response.status == 503)
        #expect(response.bodyText == #"{"status":"DOWN"}"#)
        try busy.send("y")
        #expect(try busy.readResponse().status == 200)
        #expect(server.waitForExit() == 0)
    }
}
