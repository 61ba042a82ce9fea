/// A caller's change to an existing reservation.
public enum ReservationAction: Sendable, Hashable, CaseIterable {
    /// Pay for the held seats.
    case confirm
    /// Release the held seats.
    case cancel
    /// Move the hold's deadline later.
    case extend
}

/// The state machine of API.md ("State machine"): HOLD → CONFIRMED | CANCELLED | EXPIRED, the three
/// final, and the stored deadline, not a timer, decides. Pure, so every action × state pair is
/// tested without storage; the writer applies it to the row it read inside its transaction.
public enum ReservationLifecycle {
    /// Why `userID` may not `action` `reservation` at `nowMs`, or nil when the transition is allowed.
    ///
    /// - Missing, or owned by someone else → `reservationNotFound` (one answer for both, so ids of
    ///   other users' reservations cannot be probed).
    /// - CONFIRMED → `alreadyConfirmed` (for cancel too: a sold reservation is not cancelled here).
    /// - CANCELLED → `alreadyCancelled`.
    /// - EXPIRED, or a HOLD whose deadline is at or before `nowMs` → `reservationExpired`.
    public static func refusal(
        of action: ReservationAction, on reservation: Reservation?, by userID: UserID, atMs nowMs: Int64
    ) -> DomainError? {
        guard let reservation, reservation.userID == userID else { return .reservationNotFound }
        // Every action refuses the same states with the same errors; `action` is in the signature so
        // that a future difference (e.g. admins cancelling sold seats) has an obvious home.
        switch reservation.effectiveStatus(atMs: nowMs) {
        case .hold: return nil
        case .confirmed: return .alreadyConfirmed
        case .cancelled: return .alreadyCancelled
        case .expired: return .reservationExpired
        }
    }
}
