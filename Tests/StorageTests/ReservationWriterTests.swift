import Foundation
import Reservations
@testable import Storage
import Synchronization
import Testing

/// The reservation lifecycle through the writer's `submit`, as the API drives it.
@Suite struct ReservationWriterTests {
    // MARK: Hold

    @Test func hold_explicitSeats_storesEverything_andTheReaderSeesIt() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            try withClockedWriter(directory, clock) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_h", seats: [20, 5])).status == 201)
                let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                let held = try heldReservation(
                    hold(
                        writer, "evt_h", user: "alice", seats: ["A-12", "A-2", "B-1"], holdMilliseconds: 60_000,
                        token: "rtkn_x", traceparent: traceparent))
                #expect(IDGenerator.timestampMs(of: held.id, prefix: "rsv_") == TestClock.start)
                #expect(held.seatIDs == ["A-2", "A-12", "B-1"], "seat order, not request order")
                #expect(held.status == .hold && held.quantity == 3 && held.userID == "alice")
                #expect(held.holdExpiresAtMs == TestClock.start + 60_000)
                #expect(held.totalAmount == 30_000 && held.currency == "KRW" && held.reservationToken == "rtkn_x")
                #expect(held.createdAtMs == TestClock.start && held.updatedAtMs == TestClock.start && held.orderID == nil)

                #expect(try storedReservation(directory, held.id) == held)
                #expect(try storedReservation(directory, "rsv_missing") == nil)
                let reader = try SQLiteInventoryReader(path: databasePath(directory))
                let counts = try #require(try reader.event("evt_h")).counts
                #expect(counts.held == 3 && counts.available == 22)
                let page = try reader.seats(eventID: "evt_h", status: .held, section: nil, limit: 10, cursor: nil)
                #expect(page.seats.map(\.seatID) == ["A-2", "A-12", "B-1"])
                #expect(try writer.recount(eventID: "evt_h")?.isConsistent == true)
                #expect(writer.statistics.liveHolds == 1)

                let rows = try outboxRows(directory)
                #expect(rows.map(\.type) == ["reservation.created"])
                #expect(rows.first?.subject == held.id && rows.first?.traceparent == traceparent)
            }
        }
    }

    @Test func hold_unknownEventOrSeat_orBadShape_isRefusedWithoutChanges() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_v", seats: [10])).status == 201)
                #expect(try hold(writer, "evt_nope", quantity: 1).error == .eventNotFound)
                #expect(
                    try hold(writer, "evt_v", seats: ["A-1", "X-99"]).error
                        == .invalid([FieldProblem(field: "seatIds", problem: "unknown seat X-99")]))
                #expect(
                    try hold(writer, "evt_v", seats: ["A-11"]).error
                        == .invalid([FieldProblem(field: "seatIds", problem: "unknown seat A-11")]))
                #expect(try hold(writer, "evt_v", seats: ["A-01"]).error?.code == "INVALID_REQUEST", "one spelling per seat")
                #expect(try hold(writer, "evt_v", quantity: 11).error?.details.map(\.field) == ["quantity"])
                #expect(try hold(writer, "evt_v", quantity: 2, seats: ["A-1"]).error?.details.map(\.field) == ["seatIds"])
                #expect(try hold(writer, "evt_v", seats: ["A-1", "A-1"]).error?.details.map(\.field) == ["seatIds"])
                #expect(try hold(writer, "evt_v", user: "", quantity: 1).error?.details.map(\.field) == ["userId"])
                #expect(try hold(writer, "evt_v", quantity: 1, holdMilliseconds: 0).error?.code == "INVALID_REQUEST")
                #expect(try hold(writer, "evt_v", quantity: 11, seats: []).error != nil)

                let reader = try SQLiteInventoryReader(path: databasePath(directory))
                #expect(try reader.event("evt_v")?.counts.available == 10)
                #expect(try outboxRows(directory).isEmpty)
                #expect(writer.statistics.liveHolds == 0)
            }
        }
    }

    @Test func hold_maxQuantity_followsTheConfiguration() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory, configure: { $0.maxHoldQuantity = 12 }) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_q", seats: [20])).status == 201)
                #expect(try hold(writer, "evt_q", quantity: 12).reservation?.quantity == 12)
                #expect(try hold(writer, "evt_q", quantity: 13).error?.details.map(\.field) == ["quantity"])
            }
        }
    }

    @Test func hold_explicitSeats_allOrNothing() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_a", seats: [10])).status == 201)
                _ = try heldReservation(hold(writer, "evt_a", user: "bob", seats: ["A-3"]))
                #expect(try hold(writer, "evt_a", seats: ["A-1", "A-2", "A-3", "A-4"]).error == .seatUnavailable)
                let reader = try SQLiteInventoryReader(path: databasePath(directory))
                let held = try reader.seats(eventID: "evt_a", status: .held, section: nil, limit: 10, cursor: nil)
                #expect(held.seats.map(\.seatID) == ["A-3"], "none of the free seats was held")
                #expect(try reader.event("evt_a")?.counts.available == 9)
                #expect(try outboxRows(directory).count == 1)
                #expect(try writer.recount(eventID: "evt_a")?.isConsistent == true)
                // The free ones can still be held together.
                #expect(try hold(writer, "evt_a", seats: ["A-1", "A-2", "A-4"]).reservation != nil)
            }
        }
    }

    @Test func hold_bestAvailable_followsTheRule() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_b", seats: [10, 10])).status == 201)
                _ = try heldReservation(hold(writer, "evt_b", seats: ["A-3"]))
                // Lowest adjacent run in the first section that has one: A-4…A-6 (A-1, A-2 is too short).
                #expect(try hold(writer, "evt_b", quantity: 3).reservation?.seatIDs == ["A-4", "A-5", "A-6"])
                #expect(try hold(writer, "evt_b", quantity: 2).reservation?.seatIDs == ["A-1", "A-2"])
                // A has 4 free (A-7…A-10); a run of 5 exists only in B.
                #expect(try hold(writer, "evt_b", quantity: 5).reservation?.seatIDs == ["B-1", "B-2", "B-3", "B-4", "B-5"])
                // No run of 6 anywhere and no section with 6 free: the lowest free seats of the event.
                _ = try heldReservation(hold(writer, "evt_b", seats: ["B-8"]))
                #expect(
                    try hold(writer, "evt_b", quantity: 6).reservation?.seatIDs
                        == ["A-7", "A-8", "A-9", "A-10", "B-6", "B-7"])
                // Three seats left (B-9, B-10 and none in A): four is too many.
                #expect(try hold(writer, "evt_b", quantity: 4).error == .seatUnavailable)
                #expect(try writer.recount(eventID: "evt_b")?.isConsistent == true)
            }
        }
    }

    // MARK: Every action × every state

    /// The states a reservation can be in when an action arrives, and how to get there.
    enum State: CaseIterable {
        case hold, confirmed, cancelled, expired, lapsedNotSwept, someoneElses, missing
    }

    /// What each action answers in each state: nil is success. For `hold`, the action holds the
    /// same seat again, as another user.
    static let expectations: [State: (hold: DomainError?, confirm: DomainError?, cancel: DomainError?)] = [
        .hold: (.seatUnavailable, nil, nil),
        .confirmed: (.seatUnavailable, .alreadyConfirmed, .alreadyConfirmed),
        .cancelled: (nil, .alreadyCancelled, .alreadyCancelled),
        .expired: (nil, .reservationExpired, .reservationExpired),
        // The batch sweeps before its commands, so the lapsed hold is expired first.
        .lapsedNotSwept: (nil, .reservationExpired, .reservationExpired),
        .someoneElses: (.seatUnavailable, .reservationNotFound, .reservationNotFound),
        .missing: (nil, .reservationNotFound, .reservationNotFound),
    ]

    @Test(arguments: State.allCases, ["hold", "confirm", "cancel"])
    func action_inEveryState_givesTheDocumentedResult(_ state: State, _ action: String) throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            // A long idle wait, so the writer cannot sweep the lapsed hold before the action arrives.
            try withClockedWriter(directory, clock, configure: { $0.maxIdleWaitMilliseconds = 60_000 }) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_m", seats: [4])).status == 201)
                let owner = state == .someoneElses ? "bob" : "alice"
                var id = "rsv_00000000000000000000000000"
                if state != .missing {
                    let held = try heldReservation(hold(writer, "evt_m", user: owner, seats: ["A-1"], holdMilliseconds: 3_600_000))
                    id = held.id
                }
                switch state {
                case .confirmed: #expect(try confirm(writer, id).order != nil)
                case .cancelled: #expect(try cancel(writer, id).reservation?.status == .cancelled)
                case .expired:
                    clock.advance(byMilliseconds: 3_600_000)
                    #expect(try writer.recount(eventID: "evt_m") != nil, "a batch, which sweeps")
                    #expect(try storedReservation(directory, id)?.status == .expired)
                case .lapsedNotSwept:
                    clock.advance(byMilliseconds: 3_600_000)  // exactly at the deadline
                    let stored = try #require(try storedReservation(directory, id))
                    #expect(stored.status == .hold, "not swept yet")
                    #expect(stored.effectiveStatus(atMs: clock.now) == .expired, "but already expired to readers")
                case .hold, .someoneElses, .missing: break
                }

                let expected = try #require(Self.expectations[state])
                let outcome: WriteOutcome
                let expectedError: DomainError?
                switch action {
                case "hold":
                    outcome = try hold(writer, "evt_m", user: "carol", seats: ["A-1"])
                    expectedError = expected.hold
                case "confirm":
                    outcome = try confirm(writer, id)
                    expectedError = expected.confirm
                default:
                    outcome = try cancel(writer, id)
                    expectedError = expected.cancel
                }
                #expect(outcome.error == expectedError, "\(action) on \(state): \(outcome)")
                if expectedError == nil {
                    #expect(outcome.reservation != nil)
                }
                #expect(try writer.recount(eventID: "evt_m")?.isConsistent == true)
            }
        }
    }

    @Test func confirm_sellsTheSeats_createsOneOrder_andEndsTheTimer() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            try withClockedWriter(directory, clock) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_c", seats: [5])).status == 201)
                let held = try heldReservation(hold(writer, "evt_c", seats: ["A-1", "A-2"]))
                clock.advance(byMilliseconds: 59_999)  // 1 ms before the deadline
                let outcome = try confirm(writer, held.id, payment: "pay_42")
                let order = try #require(outcome.order)
                let confirmed = try #require(outcome.reservation)
                #expect(IDGenerator.timestampMs(of: order.id, prefix: "ord_") == clock.now)
                #expect(order.reservationID == held.id && order.paymentIntentID == "pay_42" && order.status == .confirmed)
                #expect(order.totalAmount == 20_000 && order.currency == "KRW" && order.userID == "alice")
                #expect(confirmed.status == .confirmed && confirmed.orderID == order.id && confirmed.updatedAtMs == clock.now)
                #expect(try storedReservation(directory, held.id) == confirmed)
                #expect(writer.statistics.liveHolds == 0)

                let arrange = try openTestConnection(directory)
                #expect(try scalarInt(arrange, "SELECT count(*) FROM orders") == 1)
                #expect(try scalarText(arrange, "SELECT payment_intent_id FROM orders") == "pay_42")
                #expect(try scalarInt(arrange, "SELECT count(*) FROM seats WHERE status = 2") == 2)

                // The deadline passing later changes nothing.
                clock.advance(byMilliseconds: 10_000)
                #expect(try writer.recount(eventID: "evt_c")?.sections.first?.index == RecountReport.Tally(available: 3, held: 0, sold: 2))
                #expect(try storedReservation(directory, held.id)?.status == .confirmed)
                #expect(try outboxRows(directory).map(\.type) == ["reservation.created", "reservation.confirmed"])
            }
        }
    }

    @Test func cancel_releasesTheSeatsAtOnce() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_x", seats: [2])).status == 201)
                let held = try heldReservation(hold(writer, "evt_x", quantity: 2))
                #expect(try hold(writer, "evt_x", user: "bob", quantity: 1).error == .seatUnavailable)
                let cancelled = try #require(try cancel(writer, held.id).reservation)
                #expect(cancelled.status == .cancelled && cancelled.orderID == nil)
                #expect(try hold(writer, "evt_x", user: "bob", quantity: 2).reservation?.seatIDs == ["A-1", "A-2"])
                #expect(try outboxRows(directory).map(\.type) == ["reservation.created", "reservation.cancelled", "reservation.created"])
                let arrange = try openTestConnection(directory)
                #expect(try scalarInt(arrange, "SELECT count(*) FROM orders") == 0)
                #expect(try writer.recount(eventID: "evt_x")?.isConsistent == true)
            }
        }
    }

    @Test func twoConfirmsInOneBatch_createExactlyOneOrder() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_2", seats: [3])).status == 201)
                let held = try heldReservation(hold(writer, "evt_2", quantity: 1))
                // Park the writer inside a batch so both confirms queue up for the next one.
                let completions = Completions()
                let gate = Gate()
                #expect(writer.submit(completions.command("gate", eventSpec("evt_gate"), gate: gate)))
                #expect(gate.waitUntilEntered())
                let first = OutcomeBox()
                let second = OutcomeBox()
                let request = ConfirmRequest(reservationID: held.id, userID: "alice", paymentIntentID: "pay_1")
                #expect(writer.submit(first.command(.confirm(request))))
                #expect(writer.submit(second.command(.confirm(request))))
                gate.open()
                #expect(first.wait()?.order != nil)
                #expect(second.wait()?.error == .alreadyConfirmed)
                #expect(writer.statistics.maxBatchSize >= 2)
                #expect(try scalarInt(openTestConnection(directory), "SELECT count(*) FROM orders") == 1)
            }
        }
    }

    // MARK: Concurrency

    @Test func sixtyFourThreads_racingForTheSameFourSeats_yieldExactlyOneHold() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_race", seats: [10])).status == 201)
                let outcomes = race(64) { thread in
                    try? hold(writer, "evt_race", user: "user\(thread)", seats: ["A-4", "A-3", "A-2", "A-1"])
                }
                #expect(outcomes.count == 64)
                #expect(outcomes.filter { $0?.reservation != nil }.count == 1)
                #expect(outcomes.filter { $0?.error == .seatUnavailable }.count == 63)
                #expect(try writer.recount(eventID: "evt_race")?.sections.first?.seatRows == RecountReport.Tally(available: 6, held: 4))
                #expect(try writer.recount(eventID: "evt_race")?.isConsistent == true)
            }
        }
    }

    @Test func threeHundredBestAvailableHolds_onAHundredSeats_exactlyHundredSucceed() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_300", seats: [40, 60])).status == 201)
                let outcomes = race(300) { thread in
                    try? hold(writer, "evt_300", user: "user\(thread)", quantity: 1)
                }
                let seats = outcomes.compactMap { $0?.reservation?.seatIDs.first }
                #expect(seats.count == 100)
                #expect(Set(seats).count == 100, "no seat held twice")
                #expect(outcomes.filter { $0?.error == .seatUnavailable }.count == 200)
                let report = try #require(try writer.recount(eventID: "evt_300"))
                #expect(report.isConsistent)
                #expect(report.sections.map(\.seatRows.held) == [40, 60])
            }
        }
    }

    @Test func sixteenConcurrentConfirms_createOneOrder() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_16", seats: [4])).status == 201)
                let held = try heldReservation(hold(writer, "evt_16", quantity: 2))
                let outcomes = race(16) { thread in
                    try? confirm(writer, held.id, payment: "pay_\(thread)")
                }
                #expect(outcomes.filter { $0?.order != nil }.count == 1)
                #expect(outcomes.filter { $0?.error == .alreadyConfirmed }.count == 15)
                let arrange = try openTestConnection(directory)
                #expect(try scalarInt(arrange, "SELECT count(*) FROM orders") == 1)
                #expect(try outboxRows(directory).filter { $0.type == "reservation.confirmed" }.count == 1)
            }
        }
    }

    // MARK: Invariants

    @Test func indexAndStorageDisagreeing_failsTheCommand_andReportsTheBreach() throws {
        try withTemporaryDirectory { directory in
            let reports = Mutex<[String]>([])
            try withWriter(directory, configure: { configuration in
                configuration.onInvariantBreach = { message in reports.withLock { $0.append(message) } }
            }) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_i", seats: [4])).status == 201)
                let held = try heldReservation(hold(writer, "evt_i", seats: ["A-1"]))
                // Behind the writer's back: A-2 looks sold in storage while the index thinks it is free.
                let arrange = try openTestConnection(directory)
                try arrange.run("UPDATE seats SET status = 2, reservation_key = 999 WHERE seat_number = 2")

                #expect(try hold(writer, "evt_i", seats: ["A-2", "A-3"]).error == .storageFailure)
                #expect(reports.withLock { $0.count } == 1)
                #expect(reports.withLock { $0.first?.contains("changed 1 of 2 seat rows") } == true)
                #expect(writer.statistics.invariantBreaches == 1)
                #expect(try scalarInt(arrange, "SELECT count(*) FROM reservations") == 1, "the failed hold left nothing")
                #expect(try scalarInt(arrange, "SELECT status FROM seats WHERE seat_number = 3") == 0)

                // A confirm whose seat row was changed behind its back fails the same way.
                try arrange.run("UPDATE seats SET reservation_key = 998 WHERE seat_number = 1")
                #expect(try confirm(writer, held.id).error == .storageFailure)
                #expect(writer.statistics.invariantBreaches == 2)
                #expect(try storedReservation(directory, held.id)?.status == .hold)
                #expect(try scalarInt(arrange, "SELECT count(*) FROM orders") == 0)
                #expect(try writer.recount(eventID: "evt_i")?.isConsistent == false, "the recount sees it too")
            }
        }
    }

    @Test func commitFailure_undoesHoldsConfirmsCancelsAndExpiriesInMemory() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            try withClockedWriter(directory, clock, configure: { $0.maxIdleWaitMilliseconds = 60_000 }) {
                (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_f", seats: [10])).status == 201)
                let due = try heldReservation(hold(writer, "evt_f", seats: ["A-1"], holdMilliseconds: 1_000))
                let toConfirm = try heldReservation(hold(writer, "evt_f", seats: ["A-2"]))
                let toCancel = try heldReservation(hold(writer, "evt_f", seats: ["A-3"]))
                let before = try #require(try writer.recount(eventID: "evt_f"))
                let outboxBefore = try outboxRows(directory).count

                let arrange = try armCommitFailure(directory, onInsertInto: "reservations", when: "NEW.user_id = 'tripper'")
                let completions = Completions()
                let gate = Gate()
                #expect(writer.submit(completions.command("gate", eventSpec("evt_gate"), gate: gate)))
                #expect(gate.waitUntilEntered())
                clock.advance(byMilliseconds: 1_000)  // `due` expires at the start of the next batch
                let boxes = (0..<4).map { _ in OutcomeBox() }
                let operations: [WriteOperation] = [
                    .hold(HoldRequest(eventID: "evt_f", userID: "alice", quantity: 2, holdMilliseconds: 60_000)),
                    .confirm(ConfirmRequest(reservationID: toConfirm.id, userID: "alice", paymentIntentID: "pay_1")),
                    .cancel(CancelRequest(reservationID: toCancel.id, userID: "alice")),
                    .hold(HoldRequest(eventID: "evt_f", userID: "tripper", quantity: 1, holdMilliseconds: 60_000)),
                ]
                for (box, operation) in zip(boxes, operations) {
                    #expect(writer.submit(box.command(operation)))
                }
                gate.open()
                for box in boxes {
                    #expect(box.wait()?.error == .storageFailure, "the whole batch failed at COMMIT")
                }
                #expect(writer.statistics.failedBatches == 1)
                #expect(writer.statistics.liveHolds == 3, "tracking restored, including the expired hold")
                #expect(writer.statistics.expiredHolds == 0)
                #expect(try outboxRows(directory).count == outboxBefore)

                // Drop the tripwire; the next batch finds memory exactly as storage left it.
                try arrange.execute("DROP TRIGGER trip")
                let after = try #require(try writer.recount(eventID: "evt_f"))
                #expect(after.isConsistent)
                #expect(after.sections.first?.index == RecountReport.Tally(available: 8, held: 2), "only the due hold ended")
                #expect(before.sections.first?.index == RecountReport.Tally(available: 7, held: 3))
                #expect(try storedReservation(directory, due.id)?.status == .expired)
                #expect(try confirm(writer, toConfirm.id).order != nil)
                #expect(try cancel(writer, toCancel.id).reservation?.status == .cancelled)
            }
        }
    }

    @Test func sweepQuery_readsTheLiveHoldsIndex() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { _ in }
            let connection = try openTestConnection(directory)
            let plan = try connection.withStatement("EXPLAIN QUERY PLAN " + ReservationQueries.dueHoldsSQL) { statement in
                var details: [String] = []
                while try statement.step() { details.append(statement.string(3)) }
                return details.joined(separator: "; ")
            }
            #expect(plan.contains("reservations_live_holds"), "plan: \(plan)")
            #expect(!plan.contains("SCAN r"), "plan: \(plan)")
        }
    }
}

/// Runs `body` on `count` OS threads released together, and returns their results by thread.
func race<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let results = Mutex<[Int: T]>([:])
    let start = NSCondition()
    let released = Mutex(false)
    let group = DispatchGroup()
    for thread in 0..<count {
        group.enter()
        let worker = Thread {
            start.lock()
            while !released.withLock({ $0 }) { start.wait() }
            start.unlock()
            let result = body(thread)
            results.withLock { $0[thread] = result }
            group.leave()
        }
        worker.stackSize = 256 * 1024
        worker.start()
    }
    // Let the threads reach the start line, then release them at once.
    usleep(50_000)
    start.lock()
    released.withLock { $0 = true }
    start.broadcast()
    start.unlock()
    group.wait()
    return results.withLock { results in (0..<count).compactMap { results[$0] } }
}
