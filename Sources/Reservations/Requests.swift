// Requests for the reservation lifecycle (API.md, "Reservations"). The API layer checks shapes before
// it submits one; the writer checks them again with `validate`, because it never trusts a caller
// with the inventory, and decides everything that depends on stored state (seats, status, deadline).

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

    /// Whether `text` is 1...maxTextLength characters.
    static func isValidText(_ text: String) -> Bool {
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

    /// Every shape rule this request breaks. Not whether the event or the seats exist: that needs
    /// stored state, and an unknown event id is `eventNotFound`, not a malformed request.
    public func validate(maxQuantity: Int = ReservationLimits.defaultMaxQuantity) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if !ReservationLimits.isValidText(userID) {
            problems.append(
                FieldProblem(field: "userId", problem: "must be 1 to \(ReservationLimits.maxTextLength) characters"))
        }
        if quantity < 1 || quantity > maxQuantity {
            problems.append(FieldProblem(field: "quantity", problem: "must be between 1 and \(maxQuantity)"))
        }
        if !seatIDs.isEmpty {
            if seatIDs.count != quantity {
                problems.append(FieldProblem(field: "seatIds", problem: "must have as many entries as quantity"))
            } else if Set(seatIDs).count != seatIDs.count {
                problems.append(FieldProblem(field: "seatIds", problem: "must not repeat a seat"))
            }
        }
        if let reservationToken, !ReservationLimits.isValidText(reservationToken) {
            problems.append(
                FieldProblem(
                    field: "reservationToken", problem: "must be 1 to \(ReservationLimits.maxTextLength) characters"))
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
            problems.append(
                FieldProblem(
                    field: "paymentIntentId", problem: "must be 1 to \(ReservationLimits.maxTextLength) characters"))
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

/// The checks confirm and cancel share.
private func lifecycleProblems(reservationID: ReservationID, userID: UserID) -> [FieldProblem] {
    var problems: [FieldProblem] = []
    if !ReservationLimits.isValidText(reservationID) {
        problems.append(
            FieldProblem(field: "reservationId", problem: "must be 1 to \(ReservationLimits.maxTextLength) characters"))
    }
    if !ReservationLimits.isValidText(userID) {
        problems.append(
            FieldProblem(field: "userId", problem: "must be 1 to \(ReservationLimits.maxTextLength) characters"))
    }
    return problems
}
