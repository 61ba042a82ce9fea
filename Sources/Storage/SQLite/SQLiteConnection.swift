import CSQLite

/// One SQLite connection, confined to a single thread, with every pragma set explicitly at open.
///
/// The server opens one read-write connection for the writer thread, one read-only connection per
/// event-loop thread and one for the WAL checkpointer. Connections are opened with
/// SQLITE_OPEN_NOMUTEX (https://www.sqlite.org/threadsafe.html, "multi-thread" mode): SQLite does no
/// locking of its own, so correctness rests on never sharing a connection. Debug builds enforce it:
/// the first thread that uses the connection after `init` (or that calls `claim()`) becomes its
/// owner, and any other thread trips a precondition.
public final class SQLiteConnection: @unchecked Sendable {
    // @unchecked Sendable: all state is used only by the owner thread (recorded by `claim()` or first
    // use, checked by `assertOwner()` in debug builds). The only cross-thread move is handing a freshly
    // opened connection to its owner, and the thread start that does so orders the two threads.

    /// How the connection opens the file.
    public enum Mode: Sendable, Hashable {
        /// Read and write, creating the file (and, when asked, its missing parent directories).
        case readWrite(createDirectories: Bool)
        /// Read only, with `query_only` as well; the file must already exist and be in WAL mode.
        case readOnly
    }

    /// The path the connection was opened with.
    public let path: String
    /// The open mode.
    public let mode: Mode
    /// The options applied at open.
    public let options: SQLiteOptions

    /// The sqlite3 handle; nil after `close()`.
    private(set) var handle: OpaquePointer?
    /// Prepared statements by SQL text.
    private var cache: [String: SQLiteStatement] = [:]
    #if DEBUG
        /// The owner thread, recorded lazily so that the opening thread can hand the connection over.
        private var owner: ThreadID?
    #endif

    /// Opens `path` and applies `options`, verifying the pragmas SQLite could silently refuse.
    ///
    /// Throws `SQLiteError` when the file cannot be opened, a directory cannot be created, or a
    /// pragma does not take effect (for example WAL mode on a read-only connection to a file that is
    /// not already in WAL mode).
    public init(path: String, mode: Mode, options: SQLiteOptions = SQLiteOptions()) throws {
        self.path = path
        self.mode = mode
        self.options = options

        var flags = SQLITE_OPEN_NOMUTEX
        switch mode {
        case .readWrite(let createDirectories):
            flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
            if createDirectories, let parent = Platform.parentDirectory(of: path),
                let failure = Platform.createDirectories(parent)
            {
                throw SQLiteError(extendedCode: SQLITE_CANTOPEN, message: failure)
            }
        case .readOnly:
            flags |= SQLITE_OPEN_READONLY
        }

        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            // sqlite3_open_v2 usually returns a handle even on failure, which must still be closed
            // (https://www.sqlite.org/c3ref/open.html).
            let error = SQLiteError(code: rc, connection: db, sql: nil)
            sqlite3_close_v2(db)
            throw error
        }
        handle = db
        // Extended codes from every call let callers tell UNIQUE from FOREIGN KEY failures
        // (https://www.sqlite.org/c3ref/extended_result_codes.html).
        sqlite3_extended_result_codes(db, 1)
        do {
            try configure()
        } catch {
            close()
            throw error
        }
    }

    deinit {
        close()
    }

    /// Finalizes every cached statement and closes the connection; later use is a programming error.
    ///
    /// Safe to call more than once. Not owner-checked, so that whichever thread drops the last
    /// reference can release the file.
    public func close() {
        for statement in cache.values {
            statement.finalize()
        }
        cache.removeAll()
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    // MARK: Thread ownership

    /// Makes the calling thread the connection's owner.
    ///
    /// Call it first thing on the thread that will use the connection when the connection was opened
    /// elsewhere; the hand-over itself must be ordered (for example by starting that thread).
    public func claim() {
        #if DEBUG
            owner = Platform.currentThread()
        #endif
    }

    /// Traps in debug builds when called off the owner thread; records the owner on first use.
    @inline(__always)
    func assertOwner() {
        #if DEBUG
            let current = Platform.currentThread()
            if let owner {
                precondition(
                    Platform.sameThread(owner, current),
                    "SQLiteConnection(\(path)) used from a thread that does not own it")
            } else {
                owner = current
            }
        #endif
    }

    /// The live handle after the owner check.
    private var live: OpaquePointer {
        assertOwner()
        guard let handle else { preconditionFailure("SQLiteConnection(\(path)) used after close()") }
        return handle
    }

    // MARK: Statements

    /// The cached statement for `sql`, prepared on first use, reset and with bindings cleared.
    ///
    /// `sql` must hold exactly one statement; use `execute(_:)` for scripts.
    public func statement(_ sql: String) throws -> SQLiteStatement {
        let db = live
        if let cached = cache[sql] {
            // Reset before reuse in case an earlier caller stopped stepping early, and clear
            // bindings so a forgotten parameter reads as NULL rather than a stale value.
            cached.reset()
            cached.clearBindings()
            return cached
        }
        let statement = try prepare(sql, db: db)
        cache[sql] = statement
        return statement
    }

    /// The cached statement for SQL text fixed at compile time.
    public func statement(_ sql: StaticString) throws -> SQLiteStatement {
        try statement(sql.description)
    }

    /// Runs `body` with the cached statement for `sql` and resets it afterwards, even on error.
    public func withStatement<T>(_ sql: String, _ body: (SQLiteStatement) throws -> T) throws -> T {
        let statement = try statement(sql)
        defer { statement.reset() }
        return try body(statement)
    }

    /// Binds `values` to the cached statement for `sql`, runs it to completion and returns the number
    /// of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ values: SQLiteValue...) throws -> Int {
        let statement = try statement(sql)
        try statement.bind(values)
        return try statement.run()
    }

    /// Resets every cached statement so this connection holds no read transaction.
    ///
    /// A statement left mid-iteration keeps its read transaction, pinning the WAL snapshot it
    /// started with: the reader misses newer commits and the checkpointer cannot recycle the WAL
    /// (https://www.sqlite.org/wal.html#concurrency). The event loop calls this before it sleeps.
    public func resetAll() {
        assertOwner()
        for statement in cache.values {
            statement.resetUnchecked()
        }
    }

    /// Number of cached statements (for tests and metrics).
    public var cachedStatementCount: Int {
        assertOwner()
        return cache.count
    }

    /// Runs a script of zero or more statements with sqlite3_exec, without caching them; for schema
    /// migrations and one-off administration, not for hot paths.
    public func execute(_ sql: String) throws {
        let db = live
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard rc == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            throw SQLiteError(extendedCode: sqlite3_extended_errcode(db), message: text, sql: sql)
        }
    }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE (sqlite3_changes64); a conditional
    /// UPDATE that matched nothing reports 0.
    public var changes: Int {
        Int(sqlite3_changes64(live))
    }

    /// The rowid of the most recent successful INSERT on this connection.
    public var lastInsertRowID: Int64 {
        sqlite3_last_insert_rowid(live)
    }

    /// Whether a transaction is open (SQLite is out of autocommit mode).
    public var isInTransaction: Bool {
        sqlite3_get_autocommit(live) == 0
    }

    // MARK: Transactions

    /// Starts a write transaction, taking the write lock now rather than at the first write, so a
    /// busy database fails here instead of midway (https://www.sqlite.org/lang_transaction.html).
    public func beginImmediate() throws {
        try statement("BEGIN IMMEDIATE").run()
    }

    /// Commits the open transaction.
    public func commit() throws {
        try statement("COMMIT").run()
    }

    /// Rolls back the open transaction.
    public func rollback() throws {
        try statement("ROLLBACK").run()
    }

    /// Opens a savepoint named `name` (https://www.sqlite.org/lang_savepoint.html).
    ///
    /// Names are compile-time identifiers because they are spliced into SQL text.
    public func savepoint(_ name: StaticString) throws {
        try statement("SAVEPOINT \(Self.identifier(name))").run()
    }

    /// Releases (keeps the work of) savepoint `name` and every savepoint opened after it.
    public func release(_ name: StaticString) throws {
        try statement("RELEASE \(Self.identifier(name))").run()
    }

    /// Undoes the work since savepoint `name`; the savepoint stays open and still needs `release`.
    public func rollbackTo(_ name: StaticString) throws {
        try statement("ROLLBACK TO \(Self.identifier(name))").run()
    }

    /// Runs `body` in BEGIN IMMEDIATE … COMMIT, rolling back if `body` or the commit throws.
    public func inTransaction<T>(_ body: () throws -> T) throws -> T {
        try beginImmediate()
        do {
            let result = try body()
            try commit()
            return result
        } catch {
            rollbackIfOpen()
            throw error
        }
    }

    /// Runs `body` inside savepoint `name`: released on success, rolled back to and released on error,
    /// leaving the surrounding transaction's other work intact.
    public func withSavepoint<T>(_ name: StaticString, _ body: () throws -> T) throws -> T {
        try savepoint(name)
        do {
            let result = try body()
            try release(name)
            return result
        } catch {
            // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) make SQLite roll back the whole
            // transaction itself, which also discards the savepoint
            // (https://www.sqlite.org/lang_transaction.html, "Response To Errors Within A
            // Transaction"); then there is nothing left to undo and the original error matters.
            if isInTransaction {
                try? rollbackTo(name)
                try? release(name)
            }
            throw error
        }
    }

    /// Rolls back if a transaction is still open; a failure here is ignored because the caller is
    /// already propagating the error that caused the rollback.
    private func rollbackIfOpen() {
        if isInTransaction {
            try? rollback()
        }
    }

    /// Checks that a savepoint name is a plain identifier, so splicing it into SQL is safe.
    private static func identifier(_ name: StaticString) -> String {
        let text = name.description
        precondition(
            !text.isEmpty
                && text.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 < 128 && isAlphanumeric($0)) }
                && !(text.utf8.first.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? true),
            "savepoint name must be an identifier: \(text)")
        return text
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    // MARK: Internals for the checkpointer

    /// Changes the busy timeout without touching the configured option (checkpointer only).
    func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(live, milliseconds)
    }

    /// The handle after the owner check, for C APIs the wrapper does not cover.
    var ownedHandle: OpaquePointer { live }

    // MARK: Opening

    /// Prepares one statement for the cache.
    private func prepare(_ sql: String, db: OpaquePointer) throws -> SQLiteStatement {
        var prepared: OpaquePointer?
        var trailing = false
        let rc = sql.withCString { text -> Int32 in
            var tail: UnsafePointer<CChar>?
            // SQLITE_PREPARE_PERSISTENT: the statement is cached and reused for the connection's
            // lifetime (https://www.sqlite.org/c3ref/c_prepare_normalize.html).
            let rc = sqlite3_prepare_v3(db, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, &tail)
            if rc == SQLITE_OK, let tail {
                trailing = String(cString: tail).utf8.contains { !Self.isIgnorable($0) }
            }
            return rc
        }
        guard rc == SQLITE_OK else {
            throw SQLiteError(code: rc, connection: db, sql: sql)
        }
        guard let prepared, !trailing else {
            sqlite3_finalize(prepared)
            throw SQLiteError(
                extendedCode: SQLITE_MISUSE,
                message: prepared == nil
                    ? "SQL contains no statement" : "SQL contains more than one statement; use execute(_:)",
                sql: sql)
        }
        return SQLiteStatement(sql: sql, handle: prepared, connection: self)
    }

    private static func isIgnorable(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t")
            || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: ";")
    }

    /// Applies every pragma explicitly (https://www.sqlite.org/pragma.html) and reads back the ones
    /// SQLite may refuse without an error.
    private func configure() throws {
        guard let db = handle else { return }
        let readOnly = mode == .readOnly

        // First, so that the journal-mode change below waits for a lock instead of failing.
        try setPragma(db, "busy_timeout", "\(options.busyTimeoutMilliseconds)")

        // WAL lets readers proceed while the writer commits (https://www.sqlite.org/wal.html).
        // Changing it needs write access; a read-only connection can only confirm the writer set it.
        if readOnly {
            try verifyPragma(db, "journal_mode", expected: "wal")
        } else {
            try setPragma(db, "journal_mode", "WAL", expected: "wal")
        }
        try setPragma(db, "synchronous", "\(options.synchronous.rawValue)")
        // Off by default for compatibility, and a no-op inside a transaction, hence checked.
        try setPragma(db, "foreign_keys", "1")
        try setPragma(db, "cache_size", "\(-options.cacheSizeKibibytes)")
        // The checkpointer thread does PASSIVE checkpoints; automatic ones would run inside the
        // writer's COMMIT and stall it (https://www.sqlite.org/wal.html#automatic_checkpoint).
        try setPragma(db, "wal_autocheckpoint", "0")
        try setPragma(db, "journal_size_limit", "\(options.journalSizeLimitBytes)")
        // Not verified: SQLite silently caps it at SQLITE_MAX_MMAP_SIZE.
        try exec(db, "PRAGMA mmap_size = \(options.mmapSizeBytes)")
        // 2 = MEMORY: sorts and temporary indexes never touch the disk.
        try setPragma(db, "temp_store", "2")
        if readOnly {
            // Belt and braces on top of SQLITE_OPEN_READONLY: even statements that would only
            // write temporary state are refused.
            try setPragma(db, "query_only", "1")
        }
    }

    /// Sets `PRAGMA name = value`, then reads it back and throws unless it equals `expected`.
    private func setPragma(_ db: OpaquePointer, _ name: String, _ value: String, expected: String? = nil) throws {
        try exec(db, "PRAGMA \(name) = \(value)")
        try verifyPragma(db, name, expected: expected ?? value)
    }

    /// Reads `PRAGMA name` and throws unless it equals `expected` (case-insensitively).
    private func verifyPragma(_ db: OpaquePointer, _ name: String, expected: String) throws {
        let actual = try scalarText(db, "PRAGMA \(name)")
        guard actual?.lowercased() == expected.lowercased() else {
            throw SQLiteError(
                extendedCode: SQLITE_ERROR,
                message: "PRAGMA \(name) is \(actual ?? "NULL"), expected \(expected)",
                sql: "PRAGMA \(name)")
        }
    }

    /// Runs one statement, discarding rows, without touching the cache or the owner.
    private func exec(_ db: OpaquePointer, _ sql: String) throws {
        _ = try scalarText(db, sql)
    }

    /// Runs one uncached statement and returns the first column of its first row as text.
    private func scalarText(_ db: OpaquePointer, _ sql: String) throws -> String? {
        var prepared: OpaquePointer?
        let rc = sqlite3_prepare_v2(db, sql, -1, &prepared, nil)
        guard rc == SQLITE_OK, let prepared else {
            throw SQLiteError(code: rc, connection: db, sql: sql)
        }
        defer { sqlite3_finalize(prepared) }
        var first: String?
        while true {
            let step = sqlite3_step(prepared)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw SQLiteError(code: step, connection: db, sql: sql) }
            if first == nil, let text = sqlite3_column_text(prepared, 0) {
                first = String(cString: text)
            }
        }
        return first
    }
}
