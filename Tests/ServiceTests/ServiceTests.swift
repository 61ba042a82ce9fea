import Reservations
import Synchronization
import Testing
import Timing

@testable import Service

/// A sink that records what it was given, or refuses everything.
private final class RecordingSink: CommandSink, Sendable {
    let accepts: Bool
    private let commands = Mutex<[WriteCommand]>([])

    init(accepts: Bool = true) { self.accepts = accepts }

    func submit(_ command: WriteCommand) -> Bool {
        guard accepts else { return false }
        commands.withLock { $0.append(command) }
        return true
    }

    var submitted: [WriteCommand] { commands.withLock { $0 } }
}

/// A reader over a fixed list of reservations, newest (highest position) first.
private final class ListReader: InventoryReader {
    let rows: [(reservation: Reservation, position: ListingPosition)]
    private(set) var reads: [Int] = []

    init(_ reservations: [Reservation]) {
        rows = reservations.enumerated().map { ($1, ListingPosition(Int64($0 + 1))) }.reversed()
    }

    func event(_ id: EventID) throws -> (event: Event, counts: InventoryCounts)? { nil }
    func eventDefinition(_ id: EventID) throws -> Event? { nil }
    func seats(eventID: EventID, status: SeatStatus?, section: String?, limit: Int, cursor: String?) throws -> SeatPage {
        SeatPage(seats: [], nextCursor: nil)
    }
    func reservation(_ id: ReservationID) throws -> Reservation? { rows.first { $0.reservation.id == id }?.reservation }
    func reservations(of userID: UserID, before: ListingPosition?, limit: Int) throws
        -> [(reservation: Reservation, position: ListingPosition)]
    {
        reads.append(limit)
        let older = rows.filter { $0.reservation.userID == userID && $0.position.value < (before?.value ?? .max) }
        return Array(older.prefix(limit))
    }
    func resetStatements() {}
}

private let now: Int64 = 1_767_225_600_000

private func reservation(_ number: Int, user: String = "alice", event: String = "evt_1", status: ReservationStatus = .hold,
                         deadline: Int64 = now + 60_000) -> Reservation {
    Reservation(id: "rsv_\(number)", eventID: event, userID: user, seatIDs: ["A-\(number)"], quantity: 1, status: status,
                holdExpiresAtMs: deadline, totalAmount: 100, currency: "KRW", createdAtMs: now, updatedAtMs: now)
}

private func makeService(sink: RecordingSink = RecordingSink(), reader: ListReader = ListReader([]), ready: Bool = true)
    -> ReservationService
{
    let readiness = Readiness()
    if ready { readiness.markReady() }
    return ReservationService(configuration: ServiceConfiguration(), commands: sink, readers: PerLoop([reader]),
                              readiness: readiness, clock: ManualClock(wallMilliseconds: now)) { Array(repeating: 7, count: 32) }
}

private func key(_ value: String?) -> IdempotencyRequest {
    IdempotencyRequest(key: value, field: "Idempotency-Key", operation: "POST\u{0}/v1/reservations", fingerprint: [1])
}

@Suite struct CallerTests {
    @Test func resolve_acceptsVisibleIDs_andNamesTheField() throws {
        #expect(try Caller.resolve(claimed: nil, field: "X-User-Id") == .anonymous)
        #expect(try Caller.resolve(claimed: "alice", field: "X-User-Id").userID == "alice")
        #expect(try Caller.resolve(claimed: "사용자", field: "X-User-Id").userID == "사용자")
        for bad in ["", "a b", "tab\t", String(repeating: "x", count: 256), "nul\u{0}"] {
            #expect(throws: ServiceError.invalid([FieldProblem(field: "x-user-id", problem: "must be 1-255 visible characters")])) {
                try Caller.resolve(claimed: bad, field: "x-user-id")
            }
        }
    }
}

@Suite struct ServiceWriteTests {
    @Test func hold_requiresAKey_beforeValidatingTheBody() {
        let service = makeService()
        #expect(throws: ServiceError.missingIdempotencyKey) {
            try service.holdCommand(HoldInput(eventID: "evt_1", quantity: 2), CallContext(caller: .anonymous, idempotency: key(nil)))
        }
        #expect(throws: ServiceError.missingIdempotencyKey) {
            try service.holdCommand(HoldInput(eventID: "evt_1", quantity: 99), CallContext(caller: .anonymous))
        }
    }

    @Test func hold_malformedKey_isInvalid() {
        let service = makeService()
        for bad in ["", "with space", String(repeating: "k", count: 256), "é"] {
            #expect(throws: ServiceError.invalid([FieldProblem(field: "Idempotency-Key", problem: "must be 1-255 visible ASCII characters")])) {
                try service.holdCommand(HoldInput(eventID: "evt_1", quantity: 1), CallContext(caller: .anonymous, idempotency: key(bad)))
            }
        }
    }

    @Test func hold_reportsOneProblemPerField_theDoorsFirst() throws {
        let service = makeService()
        let call = CallContext(caller: .anonymous, idempotency: key("k1"),
                               shapeProblems: [FieldProblem(field: "quantity", problem: "must be an integer")])
        #expect(throws: ServiceError.invalid([
            FieldProblem(field: "quantity", problem: "must be an integer"),
            FieldProblem(field: "seatIds", problem: "must not repeat a seat"),
        ])) {
            try service.holdCommand(HoldInput(eventID: "evt_1", quantity: 2, seatIDs: ["A-1", "A-1"]), call)
        }
    }

    @Test func hold_buildsTheScopeFromCallerOperationAndKey_andUsesThePolicy() throws {
        let sink = RecordingSink()
        let service = makeService(sink: sink)
        let command = try service.holdCommand(
            HoldInput(eventID: "evt_1", quantity: 2), CallContext(caller: Caller(userID: "bob"), traceparent: "t", idempotency: key("k1")))
        #expect(command.claim == IdempotencyClaim(scope: "bob\u{0}POST\u{0}/v1/reservations\u{0}k1", fingerprint: [1]))
        guard case .hold(let request) = command.operation else { Issue.record("not a hold"); return }
        #expect(request.userID == "bob" && request.holdMilliseconds == 60_000 && request.traceparent == "t")
        try service.submit(command, render: { _ in Reply(code: 0) }, deliver: { _ in })
        #expect(sink.submitted.count == 1)
    }

    @Test func submit_toAFullQueue_isUnavailable() throws {
        let service = makeService(sink: RecordingSink(accepts: false))
        let command = try service.cancelCommand(CancelInput(reservationID: "rsv_1"), CallContext(caller: .anonymous))
        #expect(command.claim == nil)
        #expect(throws: ServiceError.unavailable("the write queue is full; retry shortly")) {
            try service.submit(command, render: { _ in Reply(code: 0) }, deliver: { _ in })
        }
    }

    @Test func extend_defaultsToTheHoldLength_andChecksTheRange() throws {
        let service = makeService()
        let command = try service.extendCommand(ExtendInput(reservationID: "rsv_1", seconds: nil), CallContext(caller: .anonymous))
        guard case .extend(let request) = command.operation else { Issue.record("not an extension"); return }
        #expect(request.extensionMilliseconds == 60_000)
        for seconds: Int64 in [0, -5, 601, .max] {
            #expect(throws: ServiceError.invalid([FieldProblem(field: "seconds", problem: "must be between 1 and 600")])) {
                try service.extendCommand(ExtendInput(reservationID: "rsv_1", seconds: seconds), CallContext(caller: .anonymous))
            }
        }
    }

    @Test func beforeReadiness_everythingIsUnavailable() {
        let service = makeService(ready: false)
        #expect(throws: ServiceError.unavailable("the server is starting")) {
            try service.cancelCommand(CancelInput(reservationID: "rsv_1"), CallContext(caller: .anonymous))
        }
        #expect(throws: ServiceError.unavailable("the server is starting")) {
            try service.reservation("rsv_1", caller: .anonymous, loop: 0)
        }
    }
}

@Suite struct ServiceReadTests {
    @Test func reservation_ofAnotherCaller_isNotFound_andALapsedHoldReadsExpired() throws {
        let reader = ListReader([reservation(1, deadline: now - 1), reservation(2, user: "bob")])
        let service = makeService(reader: reader)
        #expect(try service.reservation("rsv_1", caller: Caller(userID: "alice"), loop: 0).status == .expired)
        #expect(throws: ServiceError.domain(.reservationNotFound)) {
            try service.reservation("rsv_2", caller: Caller(userID: "alice"), loop: 0)
        }
        #expect(throws: ServiceError.domain(.reservationNotFound)) {
            try service.reservation("", caller: Caller(userID: "alice"), loop: 0)
        }
    }

    @Test func listing_pagesNewestFirst_withoutGapsOrRepeats() throws {
        let reader = ListReader((1...25).map { reservation($0) } + [reservation(26, user: "bob")])
        let service = makeService(reader: reader)
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try service.reservations(ListQuery(limit: 10, cursor: cursor), caller: Caller(userID: "alice"), loop: 0)
            seen += page.reservations.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == (1...25).reversed().map { "rsv_\($0)" })
    }

    @Test func listing_filtersByEffectiveStatusAndEvent() throws {
        let reader = ListReader([
            reservation(1), reservation(2, deadline: now - 1), reservation(3, status: .confirmed), reservation(4, event: "evt_2"),
        ])
        let service = makeService(reader: reader)
        let alice = Caller(userID: "alice")
        #expect(try service.reservations(ListQuery(status: .hold), caller: alice, loop: 0).reservations.map(\.id) == ["rsv_4", "rsv_1"])
        #expect(try service.reservations(ListQuery(status: .expired), caller: alice, loop: 0).reservations.map(\.id) == ["rsv_2"])
        #expect(try service.reservations(ListQuery(eventID: "evt_2"), caller: alice, loop: 0).reservations.map(\.id) == ["rsv_4"])
    }

    @Test func listing_refusesForgedAndForeignCursors() throws {
        let reader = ListReader((1...5).map { reservation($0) } + (6...10).map { reservation($0, user: "bob") })
        let service = makeService(reader: reader)
        let page = try service.reservations(ListQuery(limit: 2), caller: Caller(userID: "alice"), loop: 0)
        let cursor = try #require(page.nextCursor)
        let refused = ServiceError.invalid([FieldProblem(field: "cursor", problem: "is not a cursor of this listing")])
        // Another caller, other filters, an edited cursor, garbage.
        #expect(throws: refused) { try service.reservations(ListQuery(cursor: cursor), caller: Caller(userID: "bob"), loop: 0) }
        #expect(throws: refused) { try service.reservations(ListQuery(status: .hold, cursor: cursor), caller: Caller(userID: "alice"), loop: 0) }
        var edited = Array(cursor.utf8)
        edited[3] = edited[3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: refused) {
            try service.reservations(ListQuery(cursor: String(decoding: edited, as: UTF8.self)), caller: Caller(userID: "alice"), loop: 0)
        }
        #expect(throws: refused) { try service.reservations(ListQuery(cursor: "not a cursor"), caller: Caller(userID: "alice"), loop: 0) }
        // The genuine cursor continues where the page ended.
        let next = try service.reservations(ListQuery(limit: 2, cursor: cursor), caller: Caller(userID: "alice"), loop: 0)
        #expect(next.reservations.map(\.id) == ["rsv_3", "rsv_2"])
    }

    @Test func listing_limitOutOfRange_isInvalid() {
        let service = makeService()
        for limit in [0, 201] {
            #expect(throws: ServiceError.invalid([FieldProblem(field: "limit", problem: "must be between 1 and 200")])) {
                try service.reservations(ListQuery(limit: limit), caller: .anonymous, loop: 0)
            }
        }
    }
}

@Suite struct ErrorClassTests {
    @Test func domainErrors_mapAsRPCmdSays() {
        let expected: [(DomainError, ErrorClass)] = [
            (.eventNotFound, .notFound), (.reservationNotFound, .notFound),
            (.eventAlreadyExists, .alreadyExists), (.idempotencyConflict, .alreadyExists),
            (.seatUnavailable, .aborted),
            (.reservationExpired, .failedPrecondition), (.alreadyConfirmed, .failedPrecondition),
            (.alreadyCancelled, .failedPrecondition), (.holdExtensionLimit, .failedPrecondition),
            (.invalid([]), .invalidArgument), (.storageFailure, .unavailable),
        ]
        for (error, errorClass) in expected {
            #expect(error.errorClass == errorClass, "\(error)")
        }
        #expect(ServiceError.missingIdempotencyKey.errorClass == .invalidArgument)
        #expect(ServiceError.domain(.storageFailure).retryAfterSeconds == 1)
        #expect(ServiceError.domain(.seatUnavailable).retryAfterSeconds == nil)
    }
}
