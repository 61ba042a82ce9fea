import CSQLite
import Synchronization
import Threading

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A background thread that checkpoints the WAL, because connections run with wal_autocheckpoint=0.
///
/// With automatic checkpoints off the WAL only grows until something copies its frames back into
/// the database (https://www.sqlite.org/wal.html#checkpointing). This thread owns its own
/// read-write connection and runs a PASSIVE checkpoint (the C-API form of
/// `PRAGMA wal_checkpoint(PASSIVE)`, which never waits on readers or the writer) every
/// `intervalMilliseconds` and whenever `requestCheckpoint()` pokes it. When the WAL file has grown
/// beyond `journalSizeLimitBytes` and the passive run copied every frame, it also tries a TRUNCATE
/// checkpoint with no busy wait, so a reader or the writer being active simply makes it give up.
public final class WALCheckpointer: Sendable {
    /// What the checkpointer has done so far; a snapshot, read under a lock.
    public struct Statistics: Sendable, Hashable {
        /// PASSIVE checkpoints completed (including ones with nothing to copy).
        public var checkpointsRun = 0
        /// Frames in the WAL at the last checkpoint.
        public var lastLogFrames = 0
        /// Frames copied into the database by the last checkpoint (equal to `lastLogFrames` when
        /// no reader held back part of the log).
        public var lastCheckpointedFrames = 0
        /// TRUNCATE checkpoints that succeeded and shrank the WAL file to zero bytes.
        public var truncationsRun = 0
        /// Checkpoints that failed (SQLITE_BUSY from a concurrent checkpoint included).
        public var failures = 0
        /// The most recent failure, if any.
        public var lastError: SQLiteError?

        public init() {}
    }

    /// Time between unprompted checkpoints.
    public let intervalMilliseconds: Int
    private let shared: Shared
    /// The thread to join; taken out by the first `stop()`.
    private let thread: Mutex<OSThread?>

    /// Opens a read-write connection to `path` and starts the thread.
    ///
    /// - Parameters:
    ///   - options: Connection options; `journalSizeLimitBytes` is also the WAL size above which a
    ///     TRUNCATE is attempted (negative disables truncation).
    ///   - truncateOversizedWAL: Whether to attempt those TRUNCATE checkpoints at all.
    public init(
        path: String,
        options: SQLiteOptions = SQLiteOptions(),
        intervalMilliseconds: Int = 1_000,
        truncateOversizedWAL: Bool = true
    ) throws {
        precondition(intervalMilliseconds > 0, "intervalMilliseconds must be positive")
        self.intervalMilliseconds = intervalMilliseconds
        let connection = try SQLiteConnection(path: path, mode: .readWrite(createDirectories: false), options: options)
        let shared = try Shared()
        self.shared = shared

        let worker = Worker(
            connection: connection, shared: shared, intervalMilliseconds: intervalMilliseconds,
            truncateAboveBytes: truncateOversizedWAL && options.journalSizeLimitBytes >= 0
                ? options.journalSizeLimitBytes : nil,
            busyTimeoutMilliseconds: options.busyTimeoutMilliseconds)
        self.thread = Mutex(try OSThread.start(name: "checkpointer") { worker.run() })
    }

    deinit {
        stop()
    }

    /// Asks for a checkpoint now instead of at the end of the interval; never blocks.
    public func requestCheckpoint() {
        shared.wake()
    }

    /// A consistent snapshot of the counters.
    public var statistics: Statistics {
        shared.statistics.withLock { $0 }
    }

    /// Stops the thread and waits for it to exit, closing its connection.
    ///
    /// Safe to call more than once and from several threads; every call returns after the thread
    /// has exited.
    public func stop() {
        thread.withLock { thread in
            guard let running = thread else { return }
            shared.stopRequested.store(true, ordering: .releasing)
            shared.wake()
            running.join()
            thread = nil
        }
    }
}

extension WALCheckpointer {
    /// State shared between the owner of a `WALCheckpointer` and its thread.
    fileprivate final class Shared: Sendable {
        let statistics = Mutex(Statistics())
        let stopRequested = Atomic(false)
        /// A self-pipe: writing a byte wakes the thread from poll(2) before its interval ends.
        let wakeReadFD: Int32
        let wakeWriteFD: Int32

        init() throws {
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else {
                throw SQLiteError(
                    extendedCode: SQLITE_ERROR, message: "cannot create wake pipe: \(Platform.describe(errno: errno))")
            }
            // Non-blocking on both ends: a full pipe already means a wake is pending, and the
            // thread drains until empty. Close-on-exec keeps the descriptors out of child processes.
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
            wakeReadFD = fds[0]
            wakeWriteFD = fds[1]
        }

        deinit {
            close(wakeReadFD)
            close(wakeWriteFD)
        }

        func wake() {
            var byte: UInt8 = 1
            _ = write(wakeWriteFD, &byte, 1)
        }

        func drainWakes() {
            var buffer = [UInt8](repeating: 0, count: 64)
            while buffer.withUnsafeMutableBytes({ read(wakeReadFD, $0.baseAddress, $0.count) }) > 0 {}
        }
    }

    /// The thread's side: owns the connection from the moment the thread starts.
    fileprivate final class Worker: Sendable {
        let connection: SQLiteConnection
        let shared: Shared
        let intervalMilliseconds: Int
        let truncateAboveBytes: Int64?
        let busyTimeoutMilliseconds: Int32

        init(
            connection: SQLiteConnection, shared: Shared, intervalMilliseconds: Int, truncateAboveBytes: Int64?,
            busyTimeoutMilliseconds: Int32
        ) {
            self.connection = connection
            self.shared = shared
            self.intervalMilliseconds = intervalMilliseconds
            self.truncateAboveBytes = truncateAboveBytes
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        }

        func run() {
            connection.claim()
            defer { connection.close() }
            var wake = pollfd(fd: shared.wakeReadFD, events: Int16(POLLIN), revents: 0)
            let timeout = Int32(clamping: intervalMilliseconds)
            while !shared.stopRequested.load(ordering: .acquiring) {
                // EINTR and timeouts both fall through to a checkpoint, which is harmless.
                if poll(&wake, 1, timeout) > 0 {
                    shared.drainWakes()
                }
                if shared.stopRequested.load(ordering: .acquiring) { break }
                checkpoint()
            }
        }

        private func checkpoint() {
            let db = connection.ownedHandle
            var logFrames: Int32 = 0
            var checkpointedFrames: Int32 = 0
            let rc = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &checkpointedFrames)
            guard rc == SQLITE_OK else {
                record(failure: SQLiteError(code: rc, connection: db, sql: "PRAGMA wal_checkpoint(PASSIVE)"))
                return
            }
            shared.statistics.withLock {
                $0.checkpointsRun += 1
                $0.lastLogFrames = Int(logFrames)
                $0.lastCheckpointedFrames = Int(checkpointedFrames)
            }
            // Only when every frame is already in the database: a reader on an older snapshot
            // would make TRUNCATE wait, and there is nothing to gain.
            if let limit = truncateAboveBytes, logFrames > 0, checkpointedFrames == logFrames,
                let walSize = walFileSize(db), walSize > limit
            {
                truncate(db)
            }
        }

        /// Best-effort TRUNCATE: with a zero busy timeout SQLite gives up at once with SQLITE_BUSY
        /// instead of waiting for readers and holding the writer off meanwhile
        /// (https://www.sqlite.org/c3ref/wal_checkpoint_v2.html).
        private func truncate(_ db: OpaquePointer) {
            connection.setBusyTimeout(milliseconds: 0)
            defer { connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds) }
            let rc = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_TRUNCATE, nil, nil)
            if rc == SQLITE_OK {
                shared.statistics.withLock { $0.truncationsRun += 1 }
            } else if rc & 0xFF != SQLITE_BUSY {
                record(failure: SQLiteError(code: rc, connection: db, sql: "PRAGMA wal_checkpoint(TRUNCATE)"))
            }
        }

        private func walFileSize(_ db: OpaquePointer) -> Int64? {
            guard let database = sqlite3_db_filename(db, "main"), let wal = sqlite3_filename_wal(database) else {
                return nil
            }
            return Platform.fileSize(String(cString: wal))
        }

        private func record(failure: SQLiteError) {
            shared.statistics.withLock {
                $0.failures += 1
                $0.lastError = failure
            }
        }
    }
}
