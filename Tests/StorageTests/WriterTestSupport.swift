import Foundation
import Reservations
import Storage
import Synchronization

/// Holds the writer thread inside a command's render until the test opens it, so the test can
/// queue commands behind it and know they will share the next batch.
final class Gate: @unchecked Sendable {
    // @unchecked Sendable: `entered` and `isOpen` are read and written only while holding `condition`.
    private let condition = NSCondition()
    private var entered = false
    private var isOpen = false

    /// Called on the writer thread: records arrival, then waits for `open()`.
    func pass() {
        condition.lock()
        entered = true
        condition.broadcast()
        while !isOpen { condition.wait() }
        condition.unlock()
    }

    /// Waits until the writer is inside `pass()`; false only if that never happens (a broken build).
    func waitUntilEntered() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(30)
        while !entered {
            if !condition.wait(until: deadline) { return entered }
        }
        return true
    }

    /// Lets the writer continue.
    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Every completion the writer delivered, tagged, in delivery order.
final class Completions: Sendable {
    struct Entry: Sendable {
        let tag: String
        let response: RenderedResponse
        /// What `probe` saw when the completion ran, if the command had one.
        let probe: Bool?
    }

    private let entries = Mutex<[Entry]>([])

    /// A command creating `spec`, recorded under `tag`; `gate` blocks its render, `probe` runs in
    /// its completion (on the writer thread, after COMMIT).
    func command(
        _ tag: String, _ spec: NewEvent, gate: Gate? = nil, probe: (@Sendable (RenderedResponse) -> Bool)? = nil
    ) -> WriteCommand {
        WriteCommand(
            operation: .createEvent(spec),
            render: { outcome in
                gate?.pass()
                return renderForTests(outcome)
            },
            completion: { delivery in
                let response = delivery.response
                let seen = probe?(response)
                self.entries.withLock { $0.append(Entry(tag: tag, response: response, probe: seen)) }
            })
    }

    /// A snapshot of the entries.
    var all: [Entry] { entries.withLock { $0 } }

    /// The responses recorded for `tag`.
    func responses(_ tag: String) -> [RenderedResponse] {
        all.filter { $0.tag == tag }.map(\.response)
    }

    /// Waits until at least `count` completions arrived.
    func waitFor(_ count: Int) -> Bool {
        eventually { entries.withLock { $0.count } >= count }
    }
}

/// A test rendering: 201 with `id available` as the body, or the error's status with its code.
func renderForTests(_ outcome: WriteOutcome) -> RenderedResponse {
    switch outcome {
    case .eventCreated(let event, let counts):
        return RenderedResponse(
            status: 201, headers: [ResponseHeader(name: "Location", value: "/v1/events/\(event.id)")],
            body: Array("\(event.id) \(counts.available)".utf8))
    case .held(let reservation, _):
        return RenderedResponse(status: 201, body: Array("\(reservation.id) \(reservation.seatIDs.joined(separator: ","))".utf8))
    case .confirmed(let order, let reservation, _):
        return RenderedResponse(status: 200, body: Array("\(reservation.id) \(order.id)".utf8))
    case .cancelled(let reservation, _):
        return RenderedResponse(status: 200, body: Array(reservation.id.utf8))
    case .extended(let reservation, _):
        return RenderedResponse(status: 200, body: Array("\(reservation.id) \(reservation.holdExpiresAtMs)".utf8))
    case .outboxChanged(let rows):
        return RenderedResponse(status: 200, body: Array("\(rows)".utf8))
    case .outboxRevived(let record):
        return RenderedResponse(status: record == nil ? 404 : 200, body: Array((record?.id ?? "").utf8))
    case .failed(let error):
        return RenderedResponse(status: testStatus(error), body: Array(error.code.utf8))
    }
}

/// The body as text.
func text(_ response: RenderedResponse) -> String {
    String(decoding: response.body, as: UTF8.self)
}

/// An event request with sections A, B, … of the given sizes, price 10,000 KRW each.
func eventSpec(_ id: String?, seats: [Int] = [10]) -> NewEvent {
    let names = ["A", "B", "C", "D", "E", "F", "G", "H"]
    return NewEvent(
        eventID: id, name: "Event \(id ?? "generated")", currency: "KRW",
        sections: seats.enumerated().map { SectionSpec(name: names[$0.offset], seatCount: $0.element, priceMinor: 10_000) })
}

/// Starts a writer on `directory/db.sqlite`, waits for start-up, runs `body`, shuts it down.
/// A writer whose "now" is `clock`; expiry wake-ups are left to the clock test that wants them.
func withClockedWriter<T>(
    _ directory: String, _ clock: TestClock, configure: (inout Writer.Configuration) -> Void = { _ in },
    _ body: (Writer) throws -> T
) throws -> T {
    try withWriter(
        directory,
        configure: {
            $0.clock = clock
            configure(&$0)
        }, body)
}

func withWriter<T>(
    _ directory: String, configure: (inout Writer.Configuration) -> Void = { _ in }, _ body: (Writer) throws -> T
) throws -> T {
    var configuration = Writer.Configuration(path: databasePath(directory))
    configure(&configuration)
    let writer = try Writer(configuration: configuration)
    defer { writer.shutdown() }
    try writer.waitUntilReady()
    return try body(writer)
}

/// The database file the writer helpers use.
func databasePath(_ directory: String) -> String {
    "\(directory)/db.sqlite"
}

/// A read-write connection for arranging rows the writer's API cannot produce yet.
func openTestConnection(_ directory: String) throws -> SQLiteConnection {
    try SQLiteConnection(path: databasePath(directory), mode: .readWrite(createDirectories: false))
}

/// Submits a create command and waits for its response.
func create(_ writer: Writer, _ spec: NewEvent) throws -> RenderedResponse {
    let completions = Completions()
    guard writer.submit(completions.command("one", spec)), completions.waitFor(1) else {
        throw CocoaError(.featureUnsupported)
    }
    return completions.all[0].response
}

/// Makes the COMMIT of any batch that inserts a matching row into `table` fail: a trigger inserts a
/// row violating a deferred foreign key, which SQLite checks only at COMMIT. Returns the connection
/// that armed it, for the test's own checks.
@discardableResult
func armCommitFailure(_ directory: String, onInsertInto table: String, when condition: String) throws -> SQLiteConnection {
    let arrange = try openTestConnection(directory)
    try arrange.execute(
        """
        CREATE TABLE tripwire_parent(id INTEGER PRIMARY KEY);
        CREATE TABLE tripwire(parent INTEGER REFERENCES tripwire_parent(id) DEFERRABLE INITIALLY DEFERRED);
        CREATE TRIGGER trip AFTER INSERT ON \(table) WHEN \(condition)
        BEGIN INSERT INTO tripwire VALUES (42); END;
        """)
    return arrange
}
