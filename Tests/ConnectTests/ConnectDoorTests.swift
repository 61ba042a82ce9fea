import Connect
import EventLoop
import Foundation
import HTTPServer
import Protobuf
import RPC
import Reservations
import Service
import Storage
import TestSupport
import Testing

/// A writer whose queue is always full.
private struct FullQueue: CommandSink {
    func submit(_ command: WriteCommand) -> Bool { false }
}

/// The Connect door in process, over a real writer (or a full queue) and real sockets.
private final class ConnectHarness {
    let directory: URL
    let writer: Writer?
    let readiness = Readiness()
    let group: EventLoopGroup
    var port: Int { group.port }

    init(fullQueue: Bool = false, ready: Bool = true, messageBytesMax: Int = 4 * 1_048_576) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("connect-\(UUID().uuidString)")
        let path = directory.appendingPathComponent("test.db").path
        let writer = try Writer(configuration: Writer.Configuration(path: path))
        try writer.waitUntilReady()
        self.writer = writer
        let readers = PerLoop<any InventoryReader>(try (0..<1).map { _ in try SQLiteInventoryReader(path: path) })
        let service = ReservationService(configuration: ServiceConfiguration(), commands: fullQueue ? FullQueue() : writer,
                                         readers: readers, readiness: readiness) { [writer] in writer.cursorKey }
        var routes = RouterBuilder()
        ConnectDoor(rpc: ReservationRPC(service: service, messageBytesMax: messageBytesMax), service: service,
                    messageBytesMax: messageBytesMax).register(on: &routes)
        let server = HTTPServer(router: try routes.build(), configuration: HTTPServerConfiguration(), loopCount: 1)
        var loops = EventLoopConfiguration()
        loops.loopWillSleep = { loop in readers[loop].resetStatements() }
        loops.host = "127.0.0.1"
        loops.port = 0
        loops.threadCount = 1
        group = try EventLoopGroup(configuration: loops, service: server)
        try group.start()
        if ready { readiness.markReady() }
        if !fullQueue {
            let done = DispatchSemaphore(value: 0)
            let event = NewEvent(eventID: "evt_c", name: "Connect", currency: "KRW",
                                 sections: [SectionSpec(name: "A", seatCount: 5, priceMinor: 700)])
            _ = writer.submit(WriteCommand(operation: .createEvent(event), render: { _ in Reply(code: 0) }) { _ in done.signal() })
            done.wait()
        }
    }

    deinit {
        group.shutdown(graceSeconds: 2)
        writer?.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    func post(_ path: String, _ body: [UInt8], headers: [String: String] = ["Content-Type": "application/proto"]) throws
        -> TestClient.Response
    {
        let client = try TestClient(port: port)
        var head = "POST \(path) HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try client.send(Array((head + "\r\n").utf8) + body)
        return try client.readResponse()
    }
}

private let create = "/reservation.v1.ReservationService/CreateReservation"

private func holdRequest(key: String = UUID().uuidString, quantity: Int32 = 1) -> [UInt8] {
    ReservationV1.CreateReservationRequest.with {
        $0.eventID = "evt_c"
        $0.quantity = quantity
        $0.idempotencyKey = key
    }.serializedBytes()
}

/// The Connect error body's code and its ErrorInfo reason.
private func connectError(_ response: TestClient.Response) throws -> (code: String, reason: String?) {
    let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    let code = try #require(json["code"] as? String)
    guard let details = json["details"] as? [[String: Any]], let value = details.first?["value"] as? String else {
        return (code, nil)
    }
    let padded = value + String(repeating: "=", count: (4 - value.count % 4) % 4)
    let bytes = try #require(Data(base64Encoded: padded))
    return (code, try GoogleRPC.ErrorInfo(serializedBytes: Array(bytes)).reason)
}

@Suite struct ConnectDoorTests {
    @Test func hold_overProto_thenReplay_thenConflict() throws {
        let harness = try ConnectHarness()
        let first = try harness.post(create, holdRequest(key: "k1"), headers: ["Content-Type": "application/proto", "x-user-id": "u"])
        #expect(first.status == 200 && first.header("content-type") == "application/proto")
        let held = try ReservationV1.CreateReservationResponse(serializedBytes: first.body)
        #expect(held.status == .hold && held.reservedSeats.map(\.id) == ["A-1"] && held.totalAmount?.amount == 700)

        let again = try harness.post(create, holdRequest(key: "k1"), headers: ["Content-Type": "application/proto", "x-user-id": "u"])
        #expect(again.body == first.body && again.header("idempotent-replayed") == "true")
        // The JSON codec replays the same stored message, as JSON.
        let json = try harness.post(create, Array(#"{"eventId":"evt_c","quantity":1,"idempotencyKey":"k1"}"#.utf8),
                                    headers: ["Content-Type": "application/json", "x-user-id": "u"])
        #expect(json.status == 200 && json.header("idempotent-replayed") == "true")
        #expect(try ReservationV1.CreateReservationResponse(jsonBytes: json.body) == held)

        let conflict = try harness.post(create, holdRequest(key: "k1", quantity: 2), headers: ["Content-Type": "application/proto", "x-user-id": "u"])
        #expect(conflict.status == 409)
        #expect(try connectError(conflict) == ("already_exists", "IDEMPOTENCY_CONFLICT"))
    }

    @Test func fullWriterQueue_isUnavailable_withRetryAfter() throws {
        let harness = try ConnectHarness(fullQueue: true)
        let response = try harness.post(create, holdRequest())
        #expect(response.status == 503 && response.header("retry-after") == "1")
        #expect(try connectError(response) == ("unavailable", "SERVICE_UNAVAILABLE"))
    }

    @Test func beforeReadiness_isUnavailable() throws {
        let harness = try ConnectHarness(ready: false)
        let response = try harness.post(create, holdRequest())
        #expect(response.status == 503)
        #expect(try connectError(response) == ("unavailable", "SERVICE_UNAVAILABLE"))
    }

    @Test func unknownMethod_isUnimplemented_andOtherTypesAre415() throws {
        let harness = try ConnectHarness()
        let unknown = try harness.post("/com.traffic_tacos.reservation.v1.ReservationService/Refund", [])
        #expect(unknown.status == 501)
        #expect(try connectError(unknown).code == "unimplemented")
        let text = try harness.post(create, Array("hello".utf8), headers: ["Content-Type": "text/plain"])
        #expect(text.status == 415 && text.header("accept-post") == "application/proto, application/json")
        let malformed = try harness.post(create, [0x0A, 0x05, 0x41])
        #expect(malformed.status == 400)
        #expect(try connectError(malformed) == ("invalid_argument", "INVALID_REQUEST"))
    }

    @Test func oversizedMessage_isResourceExhausted_beforeTheBodyIsRead() throws {
        let harness = try ConnectHarness(messageBytesMax: 1_024)
        let client = try TestClient(port: harness.port)
        try client.send("POST \(create) HTTP/1.1\r\nHost: t\r\nContent-Type: application/proto\r\nContent-Length: 1025\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 429)
        #expect(try connectError(response).code == "resource_exhausted")
        #expect(client.isClosedByPeer())
    }
}
