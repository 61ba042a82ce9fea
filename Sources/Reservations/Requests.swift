// Requests for the reservation lifecycle (API.md, "Reservations"). `validate` is the one place the
// value rules live: the service runs it before it submits a request, and the writer runs it again,
// because it never trusts a caller with the inventory; the writer then decides everything that
// depends on stored state (seats, status, deadline) through `ReservationRules`.

/// Rules shared by the lifecycle requests.
public enum ReservationLimits {
    /// Largest `quantity` when the server is not configured otherwise (API.md: `--max-quantity`, 10).
    public static let defaultMaxQuantity = 10
    /// Longest caller-supplied text (`reservationToken`, `paymentIntentId`, `reservationId`, the
    /// user id), in characters. Characters, not bytes, so that any stricter count the API applies
    /// (bytes or scalars) only ever accepts a subset of what the writer accepts.
    public static let maxTextLength = 255
    /// Longest `traceparent` kept with an outbox row; W3C version 00 is 55 characters, later
    /// versions may append fields.
    public static let maxTraceparentBytes = 256
    /// Longest seat id a request may name, in bytes: a 16-character section name, `-` and a
    /// 7-digit number fit with room to spare.
    public static let maxSeatIDBytes = 32
    /// Problem text for a caller-supplied string outside 1...maxTextLength characters.
    public static let textProblem = "must be 1 to \(maxTextLength) characters"

    /// Whether `text` is 1...maxTextLength characters.
    public static func isValidText(_ text: String) -> Bool {
        // utf8.count bounds the character count from above, so most strings skip the slower count.
        !text.isEmpty && (text.utf8.count <= maxTextLength || text.count <= maxTextLength)
    }

    /// `traceparent` when it is worth storing (1...256 bytes of visible ASCII), else nil: a broken
    /// trace header must not fail a reservation, and the outbox must not carry arbitrary bytes.
    public static func storableTraceparent(_ traceparent: String?) -> String? {
        guard let traceparent, !traceparent.isEmpty, traceparent.utf8.count <= maxTraceparentBytes,
            traceparent.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return nil }
        return traceparent
    }
}

/// Hold `quantity` seats of an event for `holdMilliseconds` (POST /v1/reservations).
public struct HoldRequest: Sendable {
    /// The event.
    public var eventID: EventID
    /// The caller, who will own the reservation.
    public var userID: UserID
    /// Seats to hold, 1...max quantity.
    public var quantity: Int
    /// The exact seats (`A-12`), `quantity` distinct ids; empty asks for the best available seats.
    public var seatIDs: [String]
    /// The waiting-room admission token, stored and echoed back.
    public var reservationToken: String?
    /// How long the hold lasts from the writer's batch time (`HOLD_SECONDS` × 1000).
    public var holdMilliseconds: Int64
    /// The request's W3C trace context, copied into the outbox event.
    public var traceparent: String?

    /// Creates a hold request.
    public init(
        eventID: EventID, userID: UserID, quantity: Int, seatIDs: [String] = [], reservationToken: String? = nil,
        holdMilliseconds: Int64, traceparent: String? = nil
    ) {
        self.eventID = eventID
        self.userID = userID
        self.quantity = quantity
        self.seatIDs = seatIDs
        self.reservationToken = reservationToken
        self.holdMilliseconds = holdMilliseconds
        self.traceparent = traceparent
    }

    /// Every value rule this request breaks, one problem per field. Not whether the event or the
    /// seats exist: that needs stored state, and an unknown event id is `eventNotFound`, not a
    /// malformed request.
    public func validate(maxQuantity: Int = ReservationLimits.defaultMaxQuantity) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if eventID.isEmpty || eventID.utf8.count > NewEvent.Limits.maxEventIDLength {
            problems.append(
                FieldProblem(field: "eventId", problem: "must be 1 to \(NewEvent.Limits.maxEventIDLength) characters"))
        }
        if !ReservationLimits.isValidText(userID) {
            problems.append(FieldProblem(field: "userId", problem: ReservationLimits.textProblem))
        }
        if quantity < 1 || quantity > maxQuantity {
            problems.append(FieldProblem(field: "quantity", problem: "must be between 1 and \(maxQuantity)"))
        }
        if !seatIDs.isEmpty {
            if seatIDs.contains(where: { $0.isEmpty || $0.utf8.count > ReservationLimits.maxSeatIDBytes }) {
                problems.append(FieldProblem(field: "seatIds", problem: "must be seat ids such as A-12"))
            } else if seatIDs.count != quantity {
                problems.append(FieldProblem(field: "seatIds", problem: "must list exactly quantity (\(quantity)) seats"))
            } else if Set(seatIDs).count != seatIDs.count {
                problems.append(FieldProblem(field: "seatIds", problem: "must not repeat a seat"))
            }
        }
        if let reservationToken, !ReservationLimits.isValidText(reservationToken) {
            problems.append(FieldProblem(field: "reservationToken", problem: ReservationLimits.textProblem))
        }
        if holdMilliseconds < 1 {
            problems.append(FieldProblem(field: "holdMilliseconds", problem: "must be positive"))
        }
        return problems
    }
}

/// Confirm a held reservation with a payment (POST /v1/reservations/confirm).
public struct ConfirmRequest: Sendable {
    /// The reservation.
    public var reservationID: ReservationID
    /// The caller; must own the reservation.
    public var userID: UserID
    /// The payment the caller presents; stored on the order.
    public var paymentIntentID: String
    /// The request's W3C trace context, copied into the outbox event.
    public var traceparent: String?

    /// Creates a confirm request.
    public init(reservationID: ReservationID, userID: UserID, paymentIntentID: String, traceparent: String? = nil) {
        self.reservationID = reservationID
        self.userID = userID
        self.paymentIntentID = paymentIntentID
        self.traceparent = traceparent
    }

    /// Every shape rule this request breaks.
    public func validate() -> [FieldProblem] {
        var problems = lifecycleProblems(reservationID: reservationID, userID: userID)
        if !ReservationLimits.isValidText(paymentIntentID) {
            problems.append(FieldProblem(field: "paymentIntentId", problem: ReservationLimits.textProblem))
        }
        return problems
    }
}

/// Cancel a held reservation (POST /v1/reservations/cancel).
public struct CancelRequest: Sendable {
    /// The reservation.
    public var reservationID: ReservationID
    /// The caller; must own the reservation.
    public var userID: UserID
    /// The request's W3C trace context, copied into the outbox event.
    public var traceparent: String?

    /// Creates a cancel request.
    public init(reservationID: ReservationID, userID: UserID, traceparent: String? = nil) {
        self.reservationID = reservationID
        self.userID = userID
        self.traceparent = traceparent
    }

    /// Every shape rule this request breaks.
    public func validate() -> [FieldProblem] {
        lifecycleProblems(reservationID: reservationID, userID: userID)
    }
}

/// Move a live hold's deadline later (POST /v1/reservations/{id}/extend).
public struct ExtendRequest: Sendable {
    /// The reservation.
    public var reservationID: ReservationID
    /// The caller; must own the reservation.
    public var userID: UserID
    /// How much later the deadline should be; the policy may grant less (never beyond the hold's
    /// longest allowed life).
    public var extensionMilliseconds: Int64
    /// The request's W3C trace context, copied into the outbox event.
    public var traceparent: String?

    /// Creates an extend request.
    public init(reservationID: ReservationID, userID: UserID, extensionMilliseconds: Int64, traceparent: String? = nil) {
        self.reservationID = reservationID
        self.userID = userID
        self.extensionMilliseconds = extensionMilliseconds
        self.traceparent = traceparent
    }

    /// Every value rule this request breaks under `policy`.
    public func validate(policy: HoldPolicy) -> [FieldProblem] {
        var problems = lifecycleProblems(reservationID: reservationID, userID: userID)
        if extensionMilliseconds < 1 || extensionMilliseconds > policy.maxHoldMilliseconds {
            problems.append(
                FieldProblem(field: "seconds", problem: "must be between 1 and \(policy.maxHoldMilliseconds / 1000)"))
        }
        return problems
    }
}

/// How long holds last and how far they may be extended (`--hold-seconds`, `--max-hold-extensions`,
/// `--max-hold-seconds`).
public struct HoldPolicy: Sendable, Hashable {
    /// A new hold's length.
    public var holdMilliseconds: Int64
    /// Most extensions of one hold.
    public var maxExtensions: Int
    /// Latest deadline a hold may reach, counted from its creation.
    public var maxHoldMilliseconds: Int64

    /// API.md's defaults: 60 s holds, one extension, at most 600 s in all.
    public init(holdMilliseconds: Int64 = 60_000, maxExtensions: Int = 1, maxHoldMilliseconds: Int64 = 600_000) {
        self.holdMilliseconds = holdMilliseconds
        self.maxExtensions = maxExtensions
        self.maxHoldMilliseconds = maxHoldMilliseconds
    }
}

/// The checks confirm, cancel and extend share.
private func lifecycleProblems(reservationID: ReservationID, userID: UserID) -> [FieldProblem] {
    var problems: [FieldProblem] = []
    if !ReservationLimits.isValidText(reservationID) {
        problems.append(FieldProblem(field: "reservationId", problem: ReservationLimits.textProblem))
    }
    if !ReservationLimits.isValidText(userID) {
        problems.append(FieldProblem(field: "userId", problem: ReservationLimits.textProblem))
    }
    return problems
}
