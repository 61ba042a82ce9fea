/// The decisions of the reservation lifecycle (API.md, "Reservations", "State machine", "Listing and
/// extending holds"): which seats a hold gets, what it costs, when it ends, what a confirm, cancel,
/// expiry or extension turns a reservation into.
///
/// Pure functions of their inputs, so every rule is tested without storage. The writer reads the
/// stored state inside its transaction, asks these rules what to do, and then writes exactly that
/// (with conditional SQL that refuses anything the rows do not allow).
public enum ReservationRules {
    /// A hold the writer should make: the new reservation and the seats it takes, in seat order.
    public struct PlannedHold: Sendable, Hashable {
        /// The reservation as it will be stored: HOLD, with its deadline and total.
        public var reservation: Reservation
        /// Its seats, in seat order.
        public var seats: [SeatPosition]
    }

    /// Plans `request` against the event's current inventory at `nowMs`.
    ///
    /// Explicit seats are all or nothing: an unknown id is `.invalid` (one problem per unknown seat,
    /// at most `NewEvent.Limits.maxReportedProblems`), and one taken seat refuses the whole request
    /// with `.seatUnavailable`. Without seat ids the index picks the best available seats. The total
    /// is the sum of the seat prices; the deadline is `nowMs + holdMilliseconds`, clamped at the end
    /// of time rather than overflowing.
    public static func hold(
        _ request: HoldRequest, in event: Event, index: SeatIndex, maxQuantity: Int, id: @autoclosure () -> ReservationID,
        nowMs: Int64
    ) throws(DomainError) -> PlannedHold {
        let problems = request.validate(maxQuantity: maxQuantity)
        guard problems.isEmpty else { throw .invalid(problems) }

        var seats: [SeatPosition] = []
        if request.seatIDs.isEmpty {
            guard let best = index.bestAvailable(request.quantity) else { throw .seatUnavailable }
            seats = best
        } else {
            var unknown: [FieldProblem] = []
            for seatID in request.seatIDs {
                if let position = index.position(of: seatID) {
                    seats.append(position)
                } else if unknown.count < NewEvent.Limits.maxReportedProblems {
                    unknown.append(FieldProblem(field: "seatIds", problem: "unknown seat \(shortened(seatID))"))
                }
            }
            guard unknown.isEmpty else { throw .invalid(unknown) }
            guard seats.allSatisfy({ index.status(of: $0) == .available }) else { throw .seatUnavailable }
            seats.sort()
        }

        var total: Int64 = 0
        for seat in seats {
            let (sum, overflow) = total.addingReportingOverflow(event.sections[seat.section].priceMinor)
            guard !overflow else {
                throw .invalid([FieldProblem(field: "quantity", problem: "makes the total amount too large")])
            }
            total = sum
        }
        // The id is made only for a hold that will be stored.
        let reservation = Reservation(
            id: id(), eventID: event.id, userID: request.userID, seatIDs: seats.map { index.seatID(of: $0) },
            quantity: seats.count, status: .hold, holdExpiresAtMs: nowMs.addingClamped(request.holdMilliseconds),
            totalAmount: total, currency: event.currency, orderID: nil, reservationToken: request.reservationToken,
            createdAtMs: nowMs, updatedAtMs: nowMs)
        return PlannedHold(reservation: reservation, seats: seats)
    }

    /// The confirmed reservation and its order, or why `request` may not confirm `stored` at `nowMs`.
    ///
    /// The order's status is CONFIRMED: the caller presents a payment intent id, which is stored, but
    /// this server does not verify payments, so it never claims PAID.
    public static func confirm(
        _ stored: Reservation?, _ request: ConfirmRequest, orderID makeOrderID: @autoclosure () -> OrderID, nowMs: Int64
    ) throws(DomainError) -> (reservation: Reservation, order: Order) {
        let problems = request.validate()
        guard problems.isEmpty else { throw .invalid(problems) }
        var reservation = try liveHold(stored, for: .confirm, by: request.userID, nowMs: nowMs)
        let orderID = makeOrderID()
        reservation.status = .confirmed
        reservation.orderID = orderID
        reservation.updatedAtMs = nowMs
        let order = Order(
            id: orderID, reservationID: reservation.id, userID: reservation.userID,
            paymentIntentID: request.paymentIntentID, totalAmount: reservation.totalAmount,
            currency: reservation.currency, status: .confirmed, createdAtMs: nowMs)
        return (reservation, order)
    }

    /// The cancelled reservation, or why `request` may not cancel `stored` at `nowMs`.
    public static func cancel(_ stored: Reservation?, _ request: CancelRequest, nowMs: Int64) throws(DomainError)
        -> Reservation
    {
        let problems = request.validate()
        guard problems.isEmpty else { throw .invalid(problems) }
        return ended(try liveHold(stored, for: .cancel, by: request.userID, nowMs: nowMs), as: .cancelled, nowMs: nowMs)
    }

    /// `hold` after its deadline passed: EXPIRED, seats to be released.
    public static func expire(_ hold: Reservation, nowMs: Int64) -> Reservation {
        ended(hold, as: .expired, nowMs: nowMs)
    }

    /// The reservation with its deadline moved later, or why `request` may not extend `stored`.
    ///
    /// The new deadline is the current one plus the extension, but never later than
    /// `policy.maxHoldMilliseconds` after the hold's creation; an extension that would gain nothing
    /// (the cap is reached) or one beyond `policy.maxExtensions` is `.holdExtensionLimit`. A deadline
    /// that has passed — even if the expiry has not run yet — is `.reservationExpired`.
    public static func extend(_ stored: Reservation?, _ request: ExtendRequest, policy: HoldPolicy, nowMs: Int64)
        throws(DomainError) -> Reservation
    {
        let problems = request.validate(policy: policy)
        guard problems.isEmpty else { throw .invalid(problems) }
        var reservation = try liveHold(stored, for: .extend, by: request.userID, nowMs: nowMs)
        guard reservation.extensionsUsed < policy.maxExtensions else { throw .holdExtensionLimit }
        let latest = reservation.createdAtMs.addingClamped(policy.maxHoldMilliseconds)
        let deadline = min(reservation.holdExpiresAtMs.addingClamped(request.extensionMilliseconds), latest)
        guard deadline > reservation.holdExpiresAtMs else { throw .holdExtensionLimit }
        reservation.holdExpiresAtMs = deadline
        reservation.extensionsUsed += 1
        reservation.updatedAtMs = nowMs
        return reservation
    }

    // MARK: Pieces

    /// `stored` when `userID` may act on it now, else the state machine's refusal.
    private static func liveHold(_ stored: Reservation?, for action: ReservationAction, by userID: UserID, nowMs: Int64)
        throws(DomainError) -> Reservation
    {
        if let refusal = ReservationLifecycle.refusal(of: action, on: stored, by: userID, atMs: nowMs) { throw refusal }
        // `refusal` is nil only for an existing reservation.
        return stored!
    }

    private static func ended(_ hold: Reservation, as status: ReservationStatus, nowMs: Int64) -> Reservation {
        var reservation = hold
        reservation.status = status
        reservation.updatedAtMs = nowMs
        return reservation
    }

    /// `text` cut to 40 characters for an error message, so a huge id cannot bloat the response.
    private static func shortened(_ text: String) -> String {
        text.count <= 40 ? text : String(text.prefix(40)) + "…"
    }
}

extension Int64 {
    /// `self + other`, clamped at `Int64.max` instead of trapping (deadlines far in the future).
    func addingClamped(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
