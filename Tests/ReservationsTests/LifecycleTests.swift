import Foundation
import Reservations
import Testing

@Suite struct ReservationLifecycleTests {
    static let now: Int64 = 1_767_225_600_000

    private func reservation(_ status: ReservationStatus, deadline: Int64 = now + 60_000, user: String = "alice")
        -> Reservation
    {
        Reservation(
            id: "rsv_1", eventID: "evt_1", userID: user, seatIDs: ["A-1"], quantity: 1, status: status,
            holdExpiresAtMs: deadline, totalAmount: 10_000, currency: "KRW", createdAtMs: Self.now - 1_000,
            updatedAtMs: Self.now - 1_000)
    }

    /// Every stored state a caller can meet, with what confirm and cancel answer.
    static let table: [(name: String, status: ReservationStatus?, deadlineOffsetMs: Int64, owner: String, expected: DomainError?)] = [
        ("live hold", .hold, 60_000, "alice", nil),
        ("live hold, 1 ms left", .hold, 1, "alice", nil),
        ("hold at its deadline", .hold, 0, "alice", .reservationExpired),
        ("hold 1 ms past its deadline, not yet swept", .hold, -1, "alice", .reservationExpired),
        ("confirmed", .confirmed, 60_000, "alice", .alreadyConfirmed),
        ("cancelled", .cancelled, 60_000, "alice", .alreadyCancelled),
        ("expired", .expired, -5_000, "alice", .reservationExpired),
        ("someone else's live hold", .hold, 60_000, "bob", .reservationNotFound),
        ("someone else's confirmed", .confirmed, 60_000, "bob", .reservationNotFound),
        ("missing", nil, 0, "alice", .reservationNotFound),
    ]

    @Test(arguments: ReservationAction.allCases)
    func refusal_everyState_matchesTheStateMachine(_ action: ReservationAction) {
        for row in Self.table {
            let stored = row.status.map { reservation($0, deadline: Self.now + row.deadlineOffsetMs, user: row.owner) }
            let refusal = ReservationLifecycle.refusal(of: action, on: stored, by: "alice", atMs: Self.now)
            #expect(refusal == row.expected, "\(action) on \(row.name)")
        }
    }

    @Test func effectiveStatus_lapsedHoldReadsExpired_finalStatesStay() {
        #expect(reservation(.hold, deadline: Self.now).effectiveStatus(atMs: Self.now) == .expired)
        #expect(reservation(.hold, deadline: Self.now + 1).effectiveStatus(atMs: Self.now) == .hold)
        #expect(reservation(.confirmed, deadline: Self.now - 1).effectiveStatus(atMs: Self.now) == .confirmed)
        #expect(reservation(.cancelled, deadline: Self.now - 1).effectiveStatus(atMs: Self.now) == .cancelled)
    }
}

@Suite struct RequestValidationTests {
    @Test func hold_validRequests_haveNoProblems() {
        #expect(HoldRequest(eventID: "evt_1", userID: "alice", quantity: 1, holdMilliseconds: 60_000).validate().isEmpty)
        let explicit = HoldRequest(
            eventID: "evt_1", userID: "alice", quantity: 2, seatIDs: ["A-1", "A-2"], reservationToken: "rtkn_x",
            holdMilliseconds: 1)
        #expect(explicit.validate().isEmpty)
        #expect(HoldRequest(eventID: "evt_1", userID: "u", quantity: 10, holdMilliseconds: 1).validate().isEmpty)
    }

    @Test func hold_badShapes_nameTheirFields() {
        func fields(_ request: HoldRequest, maxQuantity: Int = 10) -> [String] {
            request.validate(maxQuantity: maxQuantity).map(\.field)
        }
        #expect(fields(HoldRequest(eventID: "evt_1", userID: "u", quantity: 0, holdMilliseconds: 1)) == ["quantity"])
        #expect(fields(HoldRequest(eventID: "evt_1", userID: "u", quantity: 11, holdMilliseconds: 1)) == ["quantity"])
        #expect(fields(HoldRequest(eventID: "evt_1", userID: "u", quantity: 11, holdMilliseconds: 1), maxQuantity: 11).isEmpty)
        #expect(
            fields(HoldRequest(eventID: "evt_1", userID: "u", quantity: 2, seatIDs: ["A-1"], holdMilliseconds: 1))
                == ["seatIds"])
        #expect(
            fields(HoldRequest(eventID: "evt_1", userID: "u", quantity: 2, seatIDs: ["A-1", "A-1"], holdMilliseconds: 1))
                == ["seatIds"])
        #expect(fields(HoldRequest(eventID: "evt_1", userID: "", quantity: 1, holdMilliseconds: 1)) == ["userId"])
        #expect(
            fields(HoldRequest(eventID: "evt_1", userID: "u", quantity: 1, reservationToken: "", holdMilliseconds: 1))
                == ["reservationToken"])
        #expect(fields(HoldRequest(eventID: "evt_1", userID: "u", quantity: 1, holdMilliseconds: 0)) == ["holdMilliseconds"])
    }

    @Test func textLimit_countsCharactersNotBytes() {
        let atLimit = String(repeating: "가", count: 255)  // 765 UTF-8 bytes
        #expect(ConfirmRequest(reservationID: "rsv_1", userID: "u", paymentIntentID: atLimit).validate().isEmpty)
        let overLimit = String(repeating: "x", count: 256)
        #expect(
            ConfirmRequest(reservationID: "rsv_1", userID: "u", paymentIntentID: overLimit).validate().map(\.field)
                == ["paymentIntentId"])
        #expect(ConfirmRequest(reservationID: "", userID: "u", paymentIntentID: "p").validate().map(\.field) == ["reservationId"])
        #expect(CancelRequest(reservationID: "rsv_1", userID: overLimit).validate().map(\.field) == ["userId"])
        #expect(CancelRequest(reservationID: "rsv_1", userID: "u").validate().isEmpty)
    }

    @Test func storableTraceparent_keepsVisibleASCIIOnly() {
        let w3c = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        #expect(ReservationLimits.storableTraceparent(w3c) == w3c)
        #expect(ReservationLimits.storableTraceparent(nil) == nil)
        #expect(ReservationLimits.storableTraceparent("") == nil)
        #expect(ReservationLimits.storableTraceparent("00 - x") == nil)
        #expect(ReservationLimits.storableTraceparent("00-\n") == nil)
        #expect(ReservationLimits.storableTraceparent(String(repeating: "a", count: 257)) == nil)
    }
}

@Suite struct OutboxEnvelopeTests {
    private func reservation(orderID: String? = nil, user: String = "alice") -> Reservation {
        Reservation(
            id: "rsv_01", eventID: "evt_2025_1001", userID: user, seatIDs: ["A-2", "A-12"], quantity: 2,
            status: orderID == nil ? .hold : .confirmed, holdExpiresAtMs: 1_767_225_660_123, totalAmount: 20_000,
            currency: "KRW", orderID: orderID, createdAtMs: 1_767_225_600_123, updatedAtMs: 1_767_225_600_123)
    }

    @Test func data_holdsTheReservationFields_inAFixedOrder() {
        #expect(
            OutboxRecord.data(for: reservation())
                == #"{"reservationId":"rsv_01","eventId":"evt_2025_1001","userId":"alice","seatIds":["A-2","A-12"],"#
                + #""quantity":2,"status":"HOLD","holdExpiresAt":"2026-01-01T00:01:00.123Z","totalAmount":20000,"#
                + #""currency":"KRW"}"#)
        #expect(OutboxRecord.data(for: reservation(orderID: "ord_9")).hasSuffix(#","currency":"KRW","orderId":"ord_9"}"#))
    }

    @Test func envelope_isExactlyTheDocumentedShape() {
        let record = OutboxRecord(
            sequence: 42, id: "evn_1", type: "reservation.created", subject: "rsv_01", timeMs: 1_767_225_600_123,
            traceparent: "00-abc-def-01", data: #"{"a":1}"#)
        #expect(
            String(decoding: record.envelopeJSON(), as: UTF8.self)
                == #"{"specversion":"1.0","id":"evn_1","type":"reservation.created","source":"/reservation-server","#
                + #""subject":"rsv_01","time":"2026-01-01T00:00:00.123Z","sequence":42,"traceparent":"00-abc-def-01","#
                + #""datacontenttype":"application/json","data":{"a":1}}"#)
        var untraced = record
        untraced.traceparent = nil
        let text = String(decoding: untraced.envelopeJSON(source: "urn:x"), as: UTF8.self)
        #expect(!text.contains("traceparent"))
        #expect(text.contains(#""source":"urn:x""#))
        #expect(record.eventType == .reservationCreated)
    }

    @Test func eventCreatedData_isTheEventsDefinition() {
        let event = Event(key: 1, id: "evt_1", name: "Gala \"night\"", currency: "KRW",
                          sections: [Section(name: "A", seatCount: 2, priceMinor: 100), Section(name: "B", seatCount: 3, priceMinor: 50)],
                          createdAtMs: 1_767_225_600_000)
        #expect(
            OutboxRecord.data(for: event)
                == #"{"eventId":"evt_1","name":"Gala \"night\"","currency":"KRW","totalSeats":5,"sections":["#
                + #"{"name":"A","seats":2,"price":100},{"name":"B","seats":3,"price":50}],"createdAt":"2026-01-01T00:00:00.000Z"}"#)
    }

    @Test func strings_areEscaped_soEveryEnvelopeParses() throws {
        let awkward = "q\"b\\s/n\nt\tc\u{01}\u{1F}é😀"
        let data = OutboxRecord.data(for: reservation(user: awkward))
        let record = OutboxRecord(
            sequence: 1, id: "evn_1", type: "reservation.created", subject: "rsv_01", timeMs: 0, traceparent: nil,
            data: data)
        let parsed = try #require(
            try JSONSerialization.jsonObject(with: Data(record.envelopeJSON())) as? [String: Any])
        let inner = try #require(parsed["data"] as? [String: Any])
        #expect(inner["userId"] as? String == awkward)
        #expect(inner["seatIds"] as? [String] == ["A-2", "A-12"])
        #expect(parsed["time"] as? String == "1970-01-01T00:00:00.000Z")
    }
}

@Suite struct SeatIndexRevertSaleTests {
    @Test func revertSale_undoesASale_onlyForSoldSeats() {
        var index = SeatIndex(sections: [("A", 4)])
        let seats = [SeatPosition(section: 0, number: 1), SeatPosition(section: 0, number: 2)]
        // Mutating calls are made outside #expect, which cannot capture `inout` access.
        let heldAndSold = index.hold(seats) && index.sell(seats)
        #expect(heldAndSold)
        let revertedFree = index.revertSale([SeatPosition(section: 0, number: 3)])
        #expect(!revertedFree, "a free seat was never sold")
        let reverted = index.revertSale(seats)
        #expect(reverted)
        #expect(index.status(of: seats[0]) == .held && index.sections[0].held == 2 && index.sections[0].sold == 0)
        let revertedTwice = index.revertSale(seats)
        #expect(!revertedTwice, "already held again")
        let released = index.release(seats)
        #expect(released && index.available == 4)
    }
}
