import Foundation
import Metrics
import Reservations
import Storage
import Synchronization

/// A scope as the API builds it: (caller, method, route template, key), NUL-separated.
func scope(_ caller: String, _ key: String, route: String = "/v1/reservations") -> String {
    "\(caller)\u{0}POST\u{0}\(route)\u{0}\(key)"
}

/// A claim with a readable stand-in for the SHA-256 fingerprint (the writer treats it as opaque bytes).
func claim(_ caller: String, _ key: String, fingerprint: String = "request-1") -> IdempotencyClaim {
    IdempotencyClaim(scope: scope(caller, key), fingerprint: Array(fingerprint.utf8))
}

/// `renderForTests` plus the headers a real rendering carries, so replays can be checked header
/// for header: Content-Type on every response and a Location on a hold.
func renderWithHeaders(_ outcome: WriteOutcome) -> RenderedResponse {
    var response = renderForTests(outcome)
    response.headers.append(ResponseHeader(name: "Content-Type", value: "application/json"))
    if case .held(let reservation, _) = outcome {
        response.headers.append(ResponseHeader(name: "Location", value: "/v1/reservations/\(reservation.id)"))
    }
    return response
}

/// Counts how often `render` saw a successful outcome across commands: an execution that changed
/// something (a replay never renders).
final class ExecutionCounter: Sendable {
    private let count = Atomic(0)

    var value: Int { count.load(ordering: .acquiring) }

    func note(_ outcome: WriteOutcome) {
        if case .failed = outcome { return }
        count.add(1, ordering: .acquiringAndReleasing)
    }
}

/// The response a claimed command completed with.
final class ResponseBox: Sendable {
    private let response = Mutex<RenderedResponse?>(nil)
    private let done = DispatchSemaphore(value: 0)

    /// A command for `operation` claiming `claim`; `executions` counts successful renders, `gate`
    /// holds its render until opened.
    func command(
        _ operation: WriteOperation, claim: IdempotencyClaim?, executions: ExecutionCounter? = nil, gate: Gate? = nil
    ) -> WriteCommand {
        WriteCommand(
            operation: operation, idempotency: claim,
            render: { outcome in
                gate?.pass()
                executions?.note(outcome)
                return renderWithHeaders(outcome)
            },
            completion: { delivery in
                self.response.withLock { $0 = delivery.response }
                self.done.signal()
            })
    }

    /// Waits for the completion (bounded, so a broken build fails instead of hanging).
    func wait() -> RenderedResponse? {
        guard done.wait(timeout: .now() + 30) == .success else { return nil }
        return response.withLock { $0 }
    }
}

/// Submits `operation` with `claim` and waits for the response.
func submit(
    _ writer: Writer, _ operation: WriteOperation, claim: IdempotencyClaim?, executions: ExecutionCounter? = nil
) throws -> RenderedResponse {
    let box = ResponseBox()
    guard writer.submit(box.command(operation, claim: claim, executions: executions)) else {
        throw NoOutcome(reason: "the writer refused the command")
    }
    guard let response = box.wait() else { throw NoOutcome(reason: "no completion within 30 s") }
    return response
}

/// A hold request; `seats` empty asks for the best available.
func holdOperation(
    _ eventID: EventID, user: UserID = "alice", quantity: Int? = nil, seats: [String] = []
) -> WriteOperation {
    .hold(
        HoldRequest(
            eventID: eventID, userID: user, quantity: quantity ?? max(seats.count, 1), seatIDs: seats,
            holdMilliseconds: 60_000))
}

extension RenderedResponse {
    /// Whether the response carries `Idempotent-Replayed: true`.
    var isReplay: Bool {
        headers.contains(replayedHeader)
    }

    /// The response as first sent: without the replay header.
    var withoutReplayHeader: RenderedResponse {
        var response = self
        response.headers.removeAll { $0 == replayedHeader }
        return response
    }
}

/// Rows in `idempotency_keys`.
func idempotencyRows(_ directory: String) throws -> Int64 {
    try scalarInt(openTestConnection(directory), "SELECT count(*) FROM idempotency_keys")
}

/// Free seats of `eventID` as a reader on its own connection sees them.
func availableSeats(_ directory: String, _ eventID: EventID) throws -> Int? {
    try SQLiteInventoryReader(path: databasePath(directory)).event(eventID)?.counts.available
}

/// Samples of a text-format scrape by series (`name{labels}` exactly as written), comments left out.
func scrapeSamples(_ registry: MetricsRegistry) -> [String: Double] {
    var result: [String: Double] = [:]
    for line in String(decoding: registry.render(), as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " ") else { continue }
        result[String(line[..<space])] = Double(line[line.index(after: space)...])
    }
    return result
}
