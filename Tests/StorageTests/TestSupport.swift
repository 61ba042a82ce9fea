import Foundation
import Storage

/// Runs `body` with a fresh temporary directory and removes it (and everything in it) afterwards.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let base = FileManager.default.temporaryDirectory.path
    var template = Array("\(base)/storage-tests-XXXXXX".utf8CString)
    let directory = template.withUnsafeMutableBufferPointer { buffer -> String? in
        guard let made = mkdtemp(buffer.baseAddress!) else { return nil }
        return String(cString: made)
    }
    guard let directory else { throw CocoaError(.fileWriteUnknown) }
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try body(directory)
}

/// Waits for `condition` to hold, polling; the generous deadline only stops a broken build from
/// hanging the suite and is never what a test asserts about.
func eventually(_ condition: () -> Bool) -> Bool {
    for _ in 0..<30_000 {
        if condition() { return true }
        usleep(1_000)
    }
    return condition()
}

/// Runs `body` on a new OS thread and waits for it to finish.
func runOnNewThread(_ body: @escaping @Sendable () -> Void) {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(
        &thread, nil,
        { context in
            Unmanaged<Box>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, context)
    precondition(rc == 0, "pthread_create failed")
    pthread_join(thread, nil)
}

/// The first column of the first row of `sql` as an integer.
func scalarInt(_ connection: SQLiteConnection, _ sql: String) throws -> Int64 {
    try connection.withStatement(sql) { statement in
        guard try statement.step() else { return -1 }
        return statement.int64(0)
    }
}

/// The first column of the first row of `sql` as text.
func scalarText(_ connection: SQLiteConnection, _ sql: String) throws -> String {
    try connection.withStatement(sql) { statement in
        guard try statement.step() else { return "<no row>" }
        return statement.string(0)
    }
}

/// Opens a read-write connection at `directory/name` with a small test table `t(id, label UNIQUE)`.
func openWriter(_ directory: String, _ name: String = "test.sqlite", options: SQLiteOptions = SQLiteOptions())
    throws -> SQLiteConnection
{
    let connection = try SQLiteConnection(
        path: "\(directory)/\(name)", mode: .readWrite(createDirectories: true), options: options)
    try connection.execute("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, label TEXT UNIQUE)")
    return connection
}
