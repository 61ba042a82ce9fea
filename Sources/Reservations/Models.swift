// Domain models. They carry no HTTP or SQL knowledge; times are wall-clock milliseconds since the
// Unix epoch (Int64) because the stored deadline, not any in-process timer, is the truth.

/// An event's public id, e.g. `evt_2025_1001` or a generated `evt_…`.
public typealias EventID = String
/// A reservation's public id, `rsv_…`.
public typealias ReservationID = String
/// An order's public id, `ord_…`.
public typealias OrderID = String
/// The caller that owns a reservation (a JWT `sub` or the `X-User-Id` header).
public typealias UserID = String

/// One section of an event as the caller defines it.
public struct SectionSpec: Sendable, Hashable {
    /// Section name, `[A-Za-z0-9]{1,16}`; it prefixes the seat ids (`A` → `A-1`, `A-2`, …).
    public var name: String
    /// Number of seats, numbered 1...seatCount.
    public var seatCount: Int
    /// Price of each seat in minor units of the event's currency.
    public var priceMinor: Int64

    /// Creates a section description.
    public init(name: String, seatCount: Int, priceMinor: Int64) {
        self.name = name
        self.seatCount = seatCount
        self.priceMinor = priceMinor
    }
}

/// One problem found while validating input, keyed by the JSON field it concerns.
public struct FieldProblem: Sendable, Hashable, CustomStringConvertible {
    /// The request field, in API spelling (`sections[2].name`).
    public var field: String
    /// What is wrong, phrased to follow the field name ("must be between 1 and 10").
    public var problem: String

    /// Creates a problem entry.
    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    /// `field: problem`.
    public var description: String { "\(field): \(problem)" }
}

/// A request to create an event, before validation.
public struct NewEvent: Sendable, Hashable {
    /// The caller-chosen id, or nil to have one generated.
    public var eventID: EventID?
    /// Display name, 1–200 characters.
    public var name: String
    /// ISO 4217 code: three uppercase ASCII letters.
    public var currency: String
    /// Sections in display order; this order also defines "lowest-numbered" for best available.
    public var sections: [SectionSpec]

    /// Limits from API.md; the API layer and the writer both check them.
    public enum Limits {
        /// Most sections per event.
        public static let maxSections = 1_000
        /// Most seats per event, all sections together.
        public static let maxSeats = 1_000_000
        /// Longest event name, in characters.
        public static let maxNameLength = 200
        /// Longest section name.
        public static let maxSectionNameLength = 16
        /// Longest caller-chosen id after the `evt_` prefix.
        public static let maxEventIDSuffixLength = 64
        /// Longest event id, prefix included.
        public static let maxEventIDLength = 4 + maxEventIDSuffixLength
        /// Most problems reported at once, so a 1,000-section request with every name wrong still
        /// gets a bounded error body.
        public static let maxReportedProblems = 20
    }

    /// Creates an event request.
    public init(eventID: EventID? = nil, name: String, currency: String, sections: [SectionSpec]) {
        self.eventID = eventID
        self.name = name
        self.currency = currency
        self.sections = sections
    }

    /// Total seats over all sections (saturating, so absurd inputs cannot trap).
    public var totalSeats: Int {
        sections.reduce(0) { total, section in
            let (sum, overflow) = total.addingReportingOverflow(max(section.seatCount, 0))
            return overflow ? Int.max : sum
        }
    }

    /// Every rule of API.md that this request breaks, in field order; empty when it is valid.
    ///
    /// Field names follow the JSON body (`eventId`, `sections[0].seats`, `sections[0].price`).
    public func validate() -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if let eventID, !Self.isValidEventID(eventID) {
            problems.append(
                FieldProblem(
                    field: "eventId",
                    problem: "must be evt_ followed by 1 to \(Limits.maxEventIDSuffixLength) of A-Z a-z 0-9 _ -"))
        }
        let nameLength = name.count
        if nameLength < 1 || nameLength > Limits.maxNameLength {
            problems.append(
                FieldProblem(field: "name", problem: "must be 1 to \(Limits.maxNameLength) characters"))
        }
        if !Self.isValidCurrency(currency) {
            problems.append(FieldProblem(field: "currency", problem: "must be 3 uppercase letters (ISO 4217)"))
        }
        if sections.isEmpty || sections.count > Limits.maxSections {
            problems.append(FieldProblem(field: "sections", problem: "must have 1 to \(Limits.maxSections) entries"))
        }
        var seen = Set<String>()
        for (position, section) in sections.enumerated() {
            let prefix = "sections[\(position)]"
            if !Self.isValidSectionName(section.name) {
                problems.append(
                    FieldProblem(
                        field: "\(prefix).name",
                        problem: "must be 1 to \(Limits.maxSectionNameLength) of A-Z a-z 0-9"))
            } else if !seen.insert(section.name).inserted {
                problems.append(FieldProblem(field: "\(prefix).name", problem: "duplicates an earlier section"))
            }
            if section.seatCount < 1 || section.seatCount > Limits.maxSeats {
                problems.append(
                    FieldProblem(field: "\(prefix).seats", problem: "must be between 1 and \(Limits.maxSeats)"))
            }
            if section.priceMinor < 0 {
                problems.append(FieldProblem(field: "\(prefix).price", problem: "must not be negative"))
            }
            if problems.count >= Limits.maxReportedProblems { break }
        }
        // Only meaningful when every section count is individually sane; otherwise that is the problem.
        if !sections.isEmpty, sections.allSatisfy({ $0.seatCount >= 1 }), totalSeats > Limits.maxSeats {
            problems.append(
                FieldProblem(field: "sections", problem: "must have at most \(Limits.maxSeats) seats in total"))
        }
        return Array(problems.prefix(Limits.maxReportedProblems))
    }

    /// Whether `id` is `evt_` followed by 1–64 of `[A-Za-z0-9_-]`.
    public static func isValidEventID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard bytes.count > 4, bytes.count <= 4 + Limits.maxEventIDSuffixLength,
            bytes[0..<4].elementsEqual("evt_".utf8)
        else { return false }
        return bytes[4...].allSatisfy { ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// Whether `name` is 1–16 of `[A-Za-z0-9]`.
    public static func isValidSectionName(_ name: String) -> Bool {
        let bytes = name.utf8
        return !bytes.isEmpty && bytes.count <= Limits.maxSectionNameLength && bytes.allSatisfy(ASCII.isAlphanumeric)
    }

    /// Whether `code` is three uppercase ASCII letters.
    public static func isValidCurrency(_ code: String) -> Bool {
        let bytes = code.utf8
        return bytes.count == 3 && bytes.allSatisfy { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
    }
}

/// One section of a created event.
public struct Section: Sendable, Hashable {
    /// Section name; seat ids are `{name}-{n}`.
    public var name: String
    /// Seats in the section, numbered 1...seatCount.
    public var seatCount: Int
    /// Price per seat in minor units.
    public var priceMinor: Int64

    /// Creates a section.
    public init(name: String, seatCount: Int, priceMinor: Int64) {
        self.name = name
        self.seatCount = seatCount
        self.priceMinor = priceMinor
    }
}

/// A created (and fully stored) event.
public struct Event: Sendable, Hashable {
    /// Storage's integer key for the event; meaningful only to the storage layer, which uses it in
    /// every seat and section key instead of repeating the text id.
    public var key: Int64
    /// The public id.
    public var id: EventID
    /// Display name.
    public var name: String
    /// ISO 4217 currency of every price in the event.
    public var currency: String
    /// Sections in their defined order.
    public var sections: [Section]
    /// When the event was created, in wall-clock milliseconds.
    public var createdAtMs: Int64

    /// Creates an event.
    public init(key: Int64, id: EventID, name: String, currency: String, sections: [Section], createdAtMs: Int64) {
        self.key = key
        self.id = id
        self.name = name
        self.currency = currency
        self.sections = sections
        self.createdAtMs = createdAtMs
    }

    /// Seats over all sections.
    public var totalSeats: Int { sections.reduce(0) { $0 + $1.seatCount } }
}

/// The state of one seat.
public enum SeatStatus: String, Sendable, Hashable, CaseIterable {
    /// Free to hold.
    case available = "AVAILABLE"
    /// Held by a live reservation.
    case held = "HELD"
    /// Sold by a confirmed reservation.
    case sold = "SOLD"
}

/// Availability counters for one section; available + held + sold == seatCount.
public struct SectionCounts: Sendable, Hashable {
    /// The section's name.
    public var name: String
    /// Seats in the section.
    public var seatCount: Int
    /// Seats free to hold.
    public var available: Int
    /// Seats held by live reservations.
    public var held: Int
    /// Seats sold.
    public var sold: Int

    /// Creates counters.
    public init(name: String, seatCount: Int, available: Int, held: Int, sold: Int) {
        self.name = name
        self.seatCount = seatCount
        self.available = available
        self.held = held
        self.sold = sold
    }
}

/// Availability counters for an event and each of its sections, in section order.
public struct InventoryCounts: Sendable, Hashable {
    /// Per-section counters in section order.
    public var sections: [SectionCounts]

    /// Creates counters from the per-section ones; the totals are their sums.
    public init(sections: [SectionCounts]) {
        self.sections = sections
    }

    /// Seats in the event.
    public var totalSeats: Int { sections.reduce(0) { $0 + $1.seatCount } }
    /// Seats free to hold.
    public var available: Int { sections.reduce(0) { $0 + $1.available } }
    /// Seats held by live reservations.
    public var held: Int { sections.reduce(0) { $0 + $1.held } }
    /// Seats sold.
    public var sold: Int { sections.reduce(0) { $0 + $1.sold } }
}

/// One seat as the seat listing shows it.
public struct SeatInfo: Sendable, Hashable {
    /// `{section}-{n}`.
    public var seatID: String
    /// The section's name.
    public var section: String
    /// Current state.
    public var status: SeatStatus
    /// Price in minor units of the event's currency.
    public var priceMinor: Int64

    /// Creates a seat entry.
    public init(seatID: String, section: String, status: SeatStatus, priceMinor: Int64) {
        self.seatID = seatID
        self.section = section
        self.status = status
        self.priceMinor = priceMinor
    }
}

/// One page of a seat listing.
public struct SeatPage: Sendable, Hashable {
    /// Seats in (section order, seat number) order.
    public var seats: [SeatInfo]
    /// Where the next page starts, or nil when the listing is complete. A page may hold fewer seats
    /// than asked for (even none) while `nextCursor` is set: a filtered listing examines a bounded
    /// number of seats per call so that one request never scans a whole event.
    public var nextCursor: String?

    /// Creates a page.
    public init(seats: [SeatInfo], nextCursor: String?) {
        self.seats = seats
        self.nextCursor = nextCursor
    }
}

/// The lifecycle of a reservation: HOLD → CONFIRMED | CANCELLED | EXPIRED, the last three final.
public enum ReservationStatus: String, Sendable, Hashable, CaseIterable {
    /// Seats are held until the deadline.
    case hold = "HOLD"
    /// Paid: seats are sold and an order exists.
    case confirmed = "CONFIRMED"
    /// Released by the caller before the deadline.
    case cancelled = "CANCELLED"
    /// The deadline passed before a confirm.
    case expired = "EXPIRED"

    /// Whether no further transition is possible.
    public var isFinal: Bool { self != .hold }
}

/// A reservation of one or more seats of one event.
public struct Reservation: Sendable, Hashable {
    /// The public id, `rsv_…`.
    public var id: ReservationID
    /// The event the seats belong to.
    public var eventID: EventID
    /// The owner.
    public var userID: UserID
    /// Seat ids in seat order (`A-2` before `A-12`).
    public var seatIDs: [String]
    /// Number of seats; equals `seatIDs.count`.
    public var quantity: Int
    /// Current state as stored (see `effectiveStatus(atMs:)` for what callers see).
    public var status: ReservationStatus
    /// The hold deadline; kept after the hold ends as a record.
    public var holdExpiresAtMs: Int64
    /// Sum of the seat prices in minor units.
    public var totalAmount: Int64
    /// ISO 4217 currency of `totalAmount`.
    public var currency: String
    /// The order created by the confirm, if any.
    public var orderID: OrderID?
    /// The waiting-room admission token given at creation, echoed back.
    public var reservationToken: String?
    /// Creation time.
    public var createdAtMs: Int64
    /// Time of the last change.
    public var updatedAtMs: Int64
    /// How often the hold's deadline was moved later (API.md, "Listing and extending holds").
    public var extensionsUsed: Int

    /// Creates a reservation value.
    public init(
        id: ReservationID, eventID: EventID, userID: UserID, seatIDs: [String], quantity: Int,
        status: ReservationStatus, holdExpiresAtMs: Int64, totalAmount: Int64, currency: String,
        orderID: OrderID? = nil, reservationToken: String? = nil, createdAtMs: Int64, updatedAtMs: Int64,
        extensionsUsed: Int = 0
    ) {
        self.id = id
        self.eventID = eventID
        self.userID = userID
        self.seatIDs = seatIDs
        self.quantity = quantity
        self.status = status
        self.holdExpiresAtMs = holdExpiresAtMs
        self.totalAmount = totalAmount
        self.currency = currency
        self.orderID = orderID
        self.reservationToken = reservationToken
        self.createdAtMs = createdAtMs
        self.updatedAtMs = updatedAtMs
        self.extensionsUsed = extensionsUsed
    }

    /// The status callers observe at `nowMs`: a HOLD whose deadline has passed is EXPIRED at once,
    /// even before the expiry command has run (API.md, "GET /v1/reservations/{id}").
    public func effectiveStatus(atMs nowMs: Int64) -> ReservationStatus {
        status == .hold && nowMs >= holdExpiresAtMs ? .expired : status
    }
}

/// The state of an order.
public enum OrderStatus: String, Sendable, Hashable, CaseIterable {
    /// Created by a successful confirm.
    case confirmed = "CONFIRMED"
}

/// The order a confirm creates; exactly one per confirmed reservation.
public struct Order: Sendable, Hashable {
    /// The public id, `ord_…`.
    public var id: OrderID
    /// The confirmed reservation.
    public var reservationID: ReservationID
    /// The owner (same as the reservation's).
    public var userID: UserID
    /// The payment the caller presented.
    public var paymentIntentID: String
    /// Amount in minor units.
    public var totalAmount: Int64
    /// ISO 4217 currency.
    public var currency: String
    /// State.
    public var status: OrderStatus
    /// Creation time.
    public var createdAtMs: Int64

    /// Creates an order value.
    public init(
        id: OrderID, reservationID: ReservationID, userID: UserID, paymentIntentID: String, totalAmount: Int64,
        currency: String, status: OrderStatus = .confirmed, createdAtMs: Int64
    ) {
        self.id = id
        self.reservationID = reservationID
        self.userID = userID
        self.paymentIntentID = paymentIntentID
        self.totalAmount = totalAmount
        self.currency = currency
        self.status = status
        self.createdAtMs = createdAtMs
    }
}

/// ASCII byte classes used by the validators.
enum ASCII {
    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || isDigit(byte)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
