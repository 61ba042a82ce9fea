import API
import EventLoop
import Foundation
import HTTPServer
import Logging
import Reservations
import Service
import TestSupport
import Testing

/// A writer whose queue is always full.
private struct FullQueue: CommandSink {
    func submit(_ command: WriteCommand) -> Bool { false }
}

private final class NoReader: InventoryReader {
    func event(_ id: EventID) throws -> (event: Event, counts: InventoryCounts)? { nil }
    func seats(eventID: EventID, status: SeatStatus?, section: String?, limit: Int, cursor: String?) throws -> SeatPage {
        SeatPage(seats: [], nextCursor: nil)
    }
    func reservation(_ id: ReservationID) throws -> Reservation? { nil }
    func eventDefinition(_ id: EventID) throws -> Event? { nil }
    func reservations(of userID: UserID, before: ListingPosition?, limit: Int) throws
        -> [(reservation: Reservation, position: ListingPosition)]
    {
        []
    }
    func resetStatements() {}
}

@Suite struct BackPressureTests {
    @Test func fullWriterQueue_answers503WithRetryAfter() throws {
        let readiness = Readiness()
        readiness.markReady()
        let service = ReservationService(configuration: ServiceConfiguration(), commands: FullQueue(),
                                         readers: PerLoop<any InventoryReader>([NoReader()]), readiness: readiness) { [] }
        let api = RESTAPI(service: service, log: Log(level: .error))
        var routes = RouterBuilder()
        api.register(on: &routes)
        let server = HTTPServer(router: try routes.build(), configuration: HTTPServerConfiguration(), loopCount: 1)
        var loops = EventLoopConfiguration()
        loops.host = "127.0.0.1"
        loops.port = 0
        loops.threadCount = 1
        let group = try EventLoopGroup(configuration: loops, service: server)
        try group.start()
        defer { group.shutdown(graceSeconds: 1) }
        let client = try TestClient(port: group.port)
        let response = try client.exchange("POST", "/v1/events", json: #"{"name":"x","currency":"USD","sections":[{"name":"A","seats":1,"price":1}]}"#)
        #expect(response.status == 503)
        #expect(response.header("retry-after") == "1")
        #expect(response.errorCode == "SERVICE_UNAVAILABLE")
        // The connection stays usable.
        #expect(try client.exchange("GET", "/v1/events/evt_x").status == 404)
    }
}
