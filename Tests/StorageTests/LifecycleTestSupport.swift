import Foundation
import Reservations
import Storage
import Synchronization
import Timing

/// A wall clock the test moves by hand (the writer reads it once per batch); monotonic time is real,
/// so the writer's waits and commit timings behave as in production.
final class TestClock: Clock {
    /// 2026-01-01T00:00:00Z.
    static let start: Int64 = 1_767_225_600_000

    private let milliseconds: Atomic<Int64>

    init(_ start: Int64 = TestClock.start) {
        milliseconds = Atomic(start)
    }

    var now: Int64 { milliseconds.load(ordering: .acquiring) }

    func advance(byMilliseconds delta: Int64) {
        milliseconds.add(delta, ordering: .acquiringAndReleasing)
    }

    func set(_ value: Int64) {
        milliseconds.store(value, ordering: .releasing)
    }

    func wallMilliseconds() -> Int64 { now }

    func monotonicNanoseconds() -> UInt64 { SystemClock().monotonicNanoseconds() }
}

/// The outcome a command's `render` saw last (it runs again with `storageFailure` when COMMIT
/// fails), delivered when its completion runs.
final class OutcomeBox: Sendable {
    private let outcome = Mutex<WriteOutcome?>(nil)
    private let done = DispatchSemaphore(value: 0)

    /// A command for `operation` that records into this box.
    func command(_ operation: WriteOperation) -> WriteCommand {
        WriteCommand(
            operation: operation,
            render: { outcome in
                self.outcome.withLock { $0 = outcome }
                return renderForTests(outcome)
            },
            completion: { _ in self.done.signal() })
    }

    /// Waits for the completion (bounded, so a broken build fails instead of hanging).
    func wait() -> WriteOutcome? {
        guard done.wait(timeout: .now() + 30) == .success else { return nil }
        return outcome.withLock { $0 }
    }
}

/// Why a test helper could not get an outcome.
struct NoOutcome: Error {
    let reason: String
}

/// Submits `operation` through `submit`, as the API does, and waits for its outcome.
func perform(_ writer: Writer, _ operation: WriteOperation) throws -> WriteOutcome {
    let box = OutcomeBox()
    guard writer.submit(box.command(operation)) else { throw NoOutcome(reason: "the writer refused the command") }
    guard let outcome = box.wait() else { throw NoOutcome(reason: "no completion within 30 s") }
    return outcome
}

/// A hold by `user`; `seats` empty asks for the best available.
func hold(
    _ writer: Writer, _ eventID: EventID, user: UserID = "alice", quantity: Int? = nil, seats: [String] = [],
    holdMilliseconds: Int64 = 60_000, token: String? = nil, traceparent: String? = nil
) throws -> WriteOutcome {
    try perform(
        writer,
        .hold(
            HoldRequest(
                eventID: eventID, userID: user, quantity: quantity ?? max(seats.count, 1), seatIDs: seats,
                reservationToken: token, holdMilliseconds: holdMilliseconds, traceparent: traceparent)))
}

/// A confirm by `user`.
func confirm(
    _ writer: Writer, _ reservationID: ReservationID, user: UserID = "alice", payment: String = "pay_1",
    traceparent: String? = nil
) throws -> WriteOutcome {
    try perform(
        writer,
        .confirm(
            ConfirmRequest(
                reservationID: reservationID, userID: user, paymentIntentID: payment, traceparent: traceparent)))
}

/// A cancel by `user`.
func cancel(_ writer: Writer, _ reservationID: ReservationID, user: UserID = "alice") throws -> WriteOutcome {
    try perform(writer, .cancel(CancelRequest(reservationID: reservationID, userID: user)))
}

/// An extension by `user` of `seconds`.
func extend(_ writer: Writer, _ reservationID: ReservationID, user: UserID = "alice", seconds: Int64 = 60) throws -> WriteOutcome {
    try perform(writer, .extend(ExtendRequest(reservationID: reservationID, userID: user, extensionMilliseconds: seconds * 1000)))
}

extension WriteOutcome {
    /// The reservation of a successful hold, confirm, cancel or extension.
    var reservation: Reservation? {
        switch self {
        case .held(let reservation, _), .cancelled(let reservation, _), .confirmed(_, let reservation, _),
            .extended(let reservation, _):
            reservation
        case .eventCreated, .outboxChanged, .outboxRevived, .failed: nil
        }
    }

    /// The order of a successful confirm.
    var order: Order? {
        if case .confirmed(let order, _, _) = self { return order }
        return nil
    }
}

/// A hold that must succeed; its reservation.
func heldReservation(_ outcome: WriteOutcome) throws -> Reservation {
    guard case .held(let reservation, _) = outcome else { throw NoOutcome(reason: "expected a hold, got \(outcome)") }
    return reservation
}

/// Every outbox row, in sequence order.
/// The outbox rows about reservations, in sequence order (`allOutboxRows` includes `event.created`).
func outboxRows(_ directory: String) throws -> [OutboxRecord] {
    try allOutboxRows(directory).filter { $0.type != OutboxEventType.eventCreated.rawValue }
}

/// Every outbox row, in sequence order.
func allOutboxRows(_ directory: String) throws -> [OutboxRecord] {
    let reader = try SQLiteOutboxReader(path: databasePath(directory))
    var rows: [OutboxRecord] = []
    while true {
        let page = try reader.events(after: rows.last?.sequence ?? 0, limit: 1_000)
        rows += page
        if page.count < 1_000 { return rows }
    }
}

/// Reads one reservation through a fresh inventory reader (another connection than the writer's).
func storedReservation(_ directory: String, _ id: ReservationID) throws -> Reservation? {
    try SQLiteInventoryReader(path: databasePath(directory)).reservation(id)
}
