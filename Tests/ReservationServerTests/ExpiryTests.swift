import Foundation
import Glibc
import TestSupport
import Testing

/// Expiry seen in the database file itself: the committed state changes on time, with no request.
@Suite(.serialized) struct ExpiryTests {
    /// Runs a query with the sqlite3 command-line shell against the server's database file.
    private func query(_ path: String, _ sql: String) throws -> String {
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        shell.arguments = ["sqlite3", "-readonly", path, sql]
        let output = Pipe()
        shell.standardOutput = output
        shell.standardError = FileHandle.nullDevice
        try shell.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        shell.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Parses `2026-01-01T12:01:00.123Z`.
    static func parseTimestamp(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// Starts the binary with 1 s holds on `database` and waits until it is ready.
    private func startWithOneSecondHolds(database: String) throws -> (ServerProcess, Int) {
        let server = try ServerProcess(arguments: ["--host", "127.0.0.1", "--port", "0", "--db", database, "--hold-seconds", "1",
                                                   "--access-log-sample-rate", "0"])
        let port = try server.waitUntilListening()
        for _ in 0..<200 {
            let client = try TestClient(port: port)
            try client.send("GET /actuator/health/readiness HTTP/1.1\r\nHost: t\r\n\r\n")
            if try client.readResponse().status == 200 { break }
            usleep(20_000)
        }
        return (server, port)
    }

    private func post(_ port: Int, _ path: String, _ json: String, key: String? = nil) throws -> TestClient.Response {
        let client = try TestClient(port: port)
        let body = Array(json.utf8)
        var head = "POST \(path) HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        if let key { head += "Idempotency-Key: \(key)\r\n" }
        try client.send(Array((head + "\r\n").utf8) + body)
        return try client.readResponse()
    }

    @Test func oneSecondHold_isReleasedInTheDatabaseFileWithin1200Milliseconds() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("expiry-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("r.db").path
        let (server, port) = try startWithOneSecondHolds(database: database)
        #expect(try post(port, "/v1/events", #"{"eventId":"evt_expiry","name":"e","currency":"KRW","sections":[{"name":"A","seats":3,"price":1}]}"#).status == 201)
        let held = try post(port, "/v1/reservations", #"{"eventId":"evt_expiry","quantity":1,"seatIds":["A-2"]}"#, key: "expiry-1")
        #expect(held.status == 201)
        // Measured from the hold's creation on the server (its deadline minus the hold time), not
        // from when this client read the answer.
        let deadline = try #require(held.bodyText.range(of: #""holdExpiresAt":""#).map { range in
            String(held.bodyText[range.upperBound...].prefix(24))
        })
        let createdAt = try #require(Self.parseTimestamp(deadline)).addingTimeInterval(-1)
        #expect(try query(database, "SELECT status FROM seats WHERE seat_number = 2") == "1")
        var released: TimeInterval?
        while Date().timeIntervalSince(createdAt) < 3 {
            // One shell run reads both: the seat row and the count of expiry events.
            let state = try query(database, "SELECT (SELECT status FROM seats WHERE seat_number = 2) || ',' || "
                + "(SELECT count(*) FROM outbox WHERE type = 'reservation.expired')")
            if state == "0,1" {
                released = Date().timeIntervalSince(createdAt)
                break
            }
            usleep(5_000)
        }
        let elapsed = try #require(released, "the hold was never expired in the database")
        #expect(elapsed <= 1.2, "expired after \(elapsed) s")
        #expect(try query(database, "SELECT status FROM reservations") == "EXPIRED")
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    @Test func twoHundredHolds_areAllReleasedWithinHalfASecondOfTheirDeadlines() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("expiry-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("r.db").path
        let (server, port) = try startWithOneSecondHolds(database: database)
        #expect(try post(port, "/v1/events", #"{"eventId":"evt_many","name":"e","currency":"KRW","sections":[{"name":"A","seats":200,"price":1}]}"#).status == 201)
        // 200 holds on one keep-alive connection, pipelined in batches of 20.
        let client = try TestClient(port: port)
        let body = Array(#"{"eventId":"evt_many","quantity":1}"#.utf8)
        for batch in 0..<10 {
            var wire: [UInt8] = []
            for index in 0..<20 {
                wire += Array("POST /v1/reservations HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nIdempotency-Key: many-\(batch)-\(index)\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
            }
            try client.send(wire)
            for _ in 0..<20 { #expect(try client.readResponse().status == 201) }
        }
        let lastHeld = Date()
        #expect(try query(database, "SELECT count(*) FROM seats WHERE status = 1") == "200")
        // The last hold's deadline is at most 1 s after `lastHeld`; everything is free 0.5 s later.
        var allFree = false
        while Date().timeIntervalSince(lastHeld) < 1.5 && !allFree {
            allFree = try query(database, "SELECT count(*) FROM seats WHERE status = 0") == "200"
            if !allFree { usleep(20_000) }
        }
        #expect(allFree, "not every seat was free 0.5 s after the last deadline")
        #expect(try query(database, "SELECT count(*) FROM outbox WHERE type = 'reservation.expired'") == "200")
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }
}
