import Reservations
import Synchronization

/// One value per event loop, each touched only by its own loop thread.
public final class PerLoop<Value>: @unchecked Sendable {  // element i is used only on loop i's thread
    private var values: [Value]

    public init(_ values: [Value]) { self.values = values }

    public subscript(loop: Int) -> Value { values[loop] }

    /// How many loops there are.
    public var count: Int { values.count }
}

/// Whether start-up (migrations, index rebuild, expiry recovery) has finished and the server is not
/// draining; the service refuses reservation traffic until it is ready.
public final class Readiness: Sendable {
    private let state = Atomic<Int>(0)  // 0 starting, 1 ready, 2 draining

    public init() {}

    public var isReady: Bool { state.load(ordering: .acquiring) == 1 }
    public var isDraining: Bool { state.load(ordering: .acquiring) == 2 }
    public func markReady() { state.store(1, ordering: .releasing) }
    public func markDraining() { state.store(2, ordering: .releasing) }
}

/// Who is calling (API.md, "Authentication and ownership"). With auth off the caller names itself
/// (`X-User-Id`, RPC metadata `x-user-id` or a request's `user_id`), or is `anonymous`; with auth on
/// it is the subject of a verified bearer token (`ReservationService.caller`).
public struct Caller: Sendable, Hashable {
    /// The id reservations are owned by.
    public let userID: UserID
    /// An authenticated admin: may read and list every caller's reservations.
    public let isAdmin: Bool

    public init(userID: UserID, isAdmin: Bool = false) {
        self.userID = userID
        self.isAdmin = isAdmin
    }

    /// The caller who names nobody.
    public static let anonymous = Caller(userID: "anonymous")

    /// Longest caller id, in bytes.
    public static let idBytesMax = ReservationLimits.maxTextLength

    /// The caller `claimed` names, or `anonymous` when it names nobody; `.invalid` (naming `field`)
    /// unless the id is 1–255 bytes of UTF-8 without spaces or control characters, so that two
    /// different callers can never look alike in ownership checks, logs or scopes.
    public static func resolve(claimed: String?, field: String) throws(ServiceError) -> Caller {
        guard let claimed else { return .anonymous }
        guard !claimed.isEmpty, claimed.utf8.count <= idBytesMax,
            !claimed.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F })
        else {
            throw .invalid([FieldProblem(field: field, problem: "must be 1-\(idBytesMax) visible characters")])
        }
        // U+FFFD is what a transport makes of bytes that are not UTF-8 (HPACK strings, for one):
        // two different byte strings would become the same caller.
        guard !claimed.unicodeScalars.contains("\u{FFFD}") else {
            throw .invalid([FieldProblem(field: field, problem: "must be UTF-8")])
        }
        return Caller(userID: claimed)
    }

    /// Whether this caller may see `reservation`: its owner, or an authenticated admin.
    public func mayRead(_ reservation: Reservation) -> Bool { isAdmin || reservation.userID == userID }
}
