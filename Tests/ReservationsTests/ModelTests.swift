import Reservations
import Testing

@Suite struct NewEventValidationTests {
    private func valid() -> NewEvent {
        NewEvent(
            eventID: "evt_2025_1001", name: "Concert", currency: "KRW",
            sections: [SectionSpec(name: "A", seatCount: 100, priceMinor: 10_000)])
    }

    private func fields(_ event: NewEvent) -> [String] {
        event.validate().map(\.field)
    }

    @Test func validate_validEvent_hasNoProblems() {
        #expect(valid().validate().isEmpty)
        var generated = valid()
        generated.eventID = nil
        #expect(generated.validate().isEmpty)
    }

    @Test(arguments: ["evt_", "evt", "event_1", "evt_a b", "evt_" + String(repeating: "x", count: 65), "EVT_1"])
    func validate_badEventID(_ id: String) {
        var event = valid()
        event.eventID = id
        #expect(fields(event) == ["eventId"])
    }

    @Test func validate_eventIDEdges() {
        var event = valid()
        event.eventID = "evt_" + String(repeating: "x", count: 64)
        #expect(event.validate().isEmpty)
        event.eventID = "evt_A-z_9"
        #expect(event.validate().isEmpty)
    }

    @Test func validate_nameAndCurrency() {
        var event = valid()
        event.name = ""
        event.currency = "krw"
        #expect(fields(event) == ["name", "currency"])
        event.name = String(repeating: "é", count: 200)
        event.currency = "USD"
        #expect(event.validate().isEmpty)
        event.name += "x"
        event.currency = "US"
        #expect(fields(event) == ["name", "currency"])
    }

    @Test func validate_sections() {
        var event = valid()
        event.sections = []
        #expect(fields(event) == ["sections"])
        event.sections = [
            SectionSpec(name: "A", seatCount: 10, priceMinor: 1),
            SectionSpec(name: "A", seatCount: 0, priceMinor: -1),
            SectionSpec(name: "B-1", seatCount: 5, priceMinor: 0),
            SectionSpec(name: String(repeating: "C", count: 17), seatCount: 5, priceMinor: 0),
        ]
        #expect(fields(event) == ["sections[1].name", "sections[1].seats", "sections[1].price", "sections[2].name", "sections[3].name"])
    }

    @Test func validate_seatTotals() {
        var event = valid()
        event.sections = [
            SectionSpec(name: "A", seatCount: 600_000, priceMinor: 1),
            SectionSpec(name: "B", seatCount: 400_000, priceMinor: 1),
        ]
        #expect(event.validate().isEmpty)
        event.sections[1].seatCount += 1
        #expect(fields(event) == ["sections"])
        event.sections = (0..<1_001).map { SectionSpec(name: "S\($0)", seatCount: 1, priceMinor: 0) }
        #expect(fields(event) == ["sections"])
    }

    @Test func validate_reportsABoundedNumberOfProblems() {
        var event = valid()
        event.sections = (0..<1_000).map { _ in SectionSpec(name: "?", seatCount: 1, priceMinor: 0) }
        #expect(event.validate().count == NewEvent.Limits.maxReportedProblems)
    }
}

@Suite struct DomainErrorTests {
    @Test func codesFollowTheAPI_andOnlyBusinessOutcomesAreKept() {
        let expected: [(DomainError, String, Bool)] = [
            (.eventNotFound, "EVENT_NOT_FOUND", true),
            (.eventAlreadyExists, "EVENT_ALREADY_EXISTS", true),
            (.seatUnavailable, "SEAT_UNAVAILABLE", true),
            (.reservationNotFound, "RESERVATION_NOT_FOUND", true),
            (.reservationExpired, "RESERVATION_EXPIRED", true),
            (.alreadyConfirmed, "RESERVATION_ALREADY_CONFIRMED", true),
            (.alreadyCancelled, "RESERVATION_ALREADY_CANCELLED", true),
            (.holdExtensionLimit, "HOLD_EXTENSION_LIMIT", true),
            (.invalid([FieldProblem(field: "quantity", problem: "must be between 1 and 10")]), "INVALID_REQUEST", false),
            (.idempotencyConflict, "IDEMPOTENCY_CONFLICT", false),
            (.storageFailure, "SERVICE_UNAVAILABLE", false),
        ]
        for (error, code, kept) in expected {
            #expect(error.code == code)
            #expect(error.isBusinessOutcome == kept, "\(error)")
            #expect(!error.message.isEmpty)
        }
        #expect(DomainError.invalid([FieldProblem(field: "x", problem: "y")]).details.map(\.field) == ["x"])
        #expect(DomainError.seatUnavailable.details.isEmpty)
    }

    @Test func effectiveStatus_expiresAtTheDeadline() {
        let reservation = Reservation(
            id: "rsv_1", eventID: "evt_1", userID: "u", seatIDs: ["A-1"], quantity: 1, status: .hold,
            holdExpiresAtMs: 1_000, totalAmount: 10, currency: "KRW", createdAtMs: 0, updatedAtMs: 0)
        #expect(reservation.effectiveStatus(atMs: 999) == .hold)
        #expect(reservation.effectiveStatus(atMs: 1_000) == .expired)
        var confirmed = reservation
        confirmed.status = .confirmed
        #expect(confirmed.effectiveStatus(atMs: 5_000) == .confirmed)
    }
}
