// Ports: what the API layer needs from storage, declared here so that API and Storage both depend
// on the domain and never on each other (DESIGN.md, "Threads and data flow").

/// One response header.
public struct ResponseHeader: Sendable, Hashable {
    /// Header name as it will be written.
    public var name: String
    /// Header value.
    public var value: String

    /// Creates a header.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A complete response in bytes: what a write command's outcome renders to, and what is sent.
///
/// Rendering happens on the writer thread inside the command's transaction so that the same bytes
/// can later be stored for idempotent replay.
public struct RenderedResponse: Sendable, Hashable {
    /// HTTP status code.
    public var status: Int
    /// Headers besides the framing ones the server adds (Content-Length, Date, …).
    public var headers: [ResponseHeader]
    /// The body.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [ResponseHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A change the single writer applies.
public enum WriteOperation: Sendable {
    /// Create an event with all its seats (stored in chunks; visible once complete).
    case createEvent(NewEvent)
    /// Hold seats for a caller until a deadline.
    case hold(HoldRequest)
    /// Turn a live hold into a sale with an order.
    case confirm(ConfirmRequest)
    /// Release a live hold before its deadline.
    case cancel(CancelRequest)
}

/// What a write produced; handed to the command's `render`.
public enum WriteOutcome: Sendable {
    /// The event is stored and visible, with its (all available) counters.
    case eventCreated(Event, InventoryCounts)
    /// The seats are held; the reservation is in HOLD with its deadline.
    case held(Reservation)
    /// The seats are sold: the new order and the reservation, now CONFIRMED with `orderID` set.
    case confirmed(Order, Reservation)
    /// The seats are free again; the reservation is CANCELLED.
    case cancelled(Reservation)
    /// Nothing was changed for this command; the error says why.
    case failed(DomainError)
}

/// A write request for the writer thread, with the two callbacks that turn its outcome into bytes
/// and hand those bytes back.
public struct WriteCommand: Sendable {
    /// What to change.
    public var operation: WriteOperation
    /// The Idempotency-Key this command claims, if the request carried one. With a claim the writer
    /// replays a stored response for the same scope and fingerprint instead of running the command,
    /// answers `.idempotencyConflict` for the same scope with another fingerprint, and otherwise runs
    /// the command and stores a storable response (`IdempotencyRules.isStorable`) in the same
    /// transaction.
    public var idempotency: IdempotencyClaim?
    /// Turns the outcome into the response. Runs on the writer thread inside the command's
    /// transaction; it must be quick and must not block. It can run a second time, with
    /// `.failed(.storageFailure)`, when the batch's COMMIT fails after the first rendering.
    public var render: @Sendable (WriteOutcome) -> RenderedResponse
    /// Receives the final response exactly once. Runs on the writer thread after COMMIT returned (so
    /// a success is durable before anyone hears of it) and must only hand off, e.g. post to a loop.
    /// A replay receives the stored response plus `IdempotencyRules.replayedHeader`, and `render`
    /// runs only if the batch fails (with `.failed(.storageFailure)`).
    public var completion: @Sendable (RenderedResponse) -> Void

    /// Creates a command.
    public init(
        operation: WriteOperation,
        idempotency: IdempotencyClaim? = nil,
        render: @escaping @Sendable (WriteOutcome) -> RenderedResponse,
        completion: @escaping @Sendable (RenderedResponse) -> Void
    ) {
        self.operation = operation
        self.idempotency = idempotency
        self.render = render
        self.completion = completion
    }
}

/// Where the API sends write commands: the writer's bounded queue.
public protocol CommandSink: Sendable {
    /// Queues `command`; false when the queue is full or closed, and then neither callback ever
    /// runs (the API answers 503 with `Retry-After`).
    func submit(_ command: WriteCommand) -> Bool
}

/// Read-only inventory queries for one event-loop thread, on that thread's own read-only connection.
///
/// An instance belongs to one thread. Only point lookups and bounded range reads: nothing here scans
/// an event's seats. Methods throw `DomainError` for caller mistakes (`.eventNotFound`, `.invalid`)
/// and other errors for storage failures.
public protocol InventoryReader: AnyObject {
    /// The event with current counters, or nil when no such event exists (or it is still being created).
    func event(_ id: EventID) throws -> (event: Event, counts: InventoryCounts)?

    /// One page of the event's seats in (section order, number) order, optionally only those in
    /// `status` and/or in the section named `section`. `limit` is 1...1000; `cursor` is a previous
    /// page's `nextCursor`, opaque to callers.
    func seats(eventID: EventID, status: SeatStatus?, section: String?, limit: Int, cursor: String?) throws -> SeatPage

    /// The reservation `id` exactly as stored, or nil when there is none. The caller decides what
    /// the caller may see: it applies `Reservation.effectiveStatus(atMs:)` (a lapsed HOLD reads as
    /// EXPIRED before the writer has swept it) and the ownership rule (another user's reservation
    /// answers 404, like a missing one).
    func reservation(_ id: ReservationID) throws -> Reservation?

    /// Releases every statement's read snapshot; the loop calls it before it sleeps.
    func resetStatements()
}

/// Limits of the seat listing.
public enum SeatListing {
    /// Smallest `limit`.
    public static let minLimit = 1
    /// Largest `limit`.
    public static let maxLimit = 1_000
    /// `limit` when the request gives none.
    public static let defaultLimit = 100
}
