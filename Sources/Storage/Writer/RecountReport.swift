import Reservations

/// The result of `Writer.recount(eventID:)`: one event's seats counted three ways.
public struct RecountReport: Sendable, Hashable {
    /// Available, held and sold counts.
    public struct Tally: Sendable, Hashable {
        /// Free seats.
        public var available = 0
        /// Held seats.
        public var held = 0
        /// Sold seats.
        public var sold = 0

        /// Creates a tally.
        public init(available: Int = 0, held: Int = 0, sold: Int = 0) {
            self.available = available
            self.held = held
            self.sold = sold
        }

        /// All seats counted.
        public var total: Int { available + held + sold }

        mutating func add(_ status: SeatStatus) {
            switch status {
            case .available: available += 1
            case .held: held += 1
            case .sold: sold += 1
            }
        }
    }

    /// One section's three counts.
    public struct SectionReport: Sendable, Hashable {
        /// Section name.
        public var name: String
        /// Seats the section was created with.
        public var seatCount: Int
        /// Counted from the seat rows.
        public var seatRows: Tally
        /// The counters stored in the sections table.
        public var counters: Tally
        /// The writer's in-memory index.
        public var index: Tally

        /// Whether the three agree and account for every seat.
        public var isConsistent: Bool {
            seatRows == counters && counters == index && seatRows.total == seatCount
        }
    }

    /// The event recounted.
    public var eventID: String
    /// Per-section results in section order.
    public var sections: [SectionReport]
    /// Seat rows whose status differs from the index (or that name no section).
    public var mismatchedSeats: Int
    /// Held or sold seats whose `reservation_key` does not point at a HOLD (for held seats) or
    /// CONFIRMED (for sold seats) reservation of this event.
    public var orphanSeats: Int
    /// HOLD or CONFIRMED reservations of this event that do not own exactly their stored seats in the
    /// matching state (held for HOLD, sold for CONFIRMED).
    public var reservationSeatMismatches: Int

    /// Creates a report.
    public init(
        eventID: String, sections: [SectionReport], mismatchedSeats: Int, orphanSeats: Int = 0,
        reservationSeatMismatches: Int = 0
    ) {
        self.eventID = eventID
        self.sections = sections
        self.mismatchedSeats = mismatchedSeats
        self.orphanSeats = orphanSeats
        self.reservationSeatMismatches = reservationSeatMismatches
    }

    /// Whether every section is consistent, every seat row agrees with the index, and seats and
    /// live reservations point at each other.
    public var isConsistent: Bool {
        mismatchedSeats == 0 && orphanSeats == 0 && reservationSeatMismatches == 0
            && sections.allSatisfy(\.isConsistent)
    }
}
