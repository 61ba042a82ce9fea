/// Per-connection settings applied as pragmas when a connection opens.
///
/// Every field has a default chosen for the reservation server: durable commits, WAL with manual
/// checkpoints, and bounded memory. Units are part of each name.
public struct SQLiteOptions: Sendable, Hashable {
    /// How hard a commit pushes data to stable storage (https://www.sqlite.org/pragma.html#pragma_synchronous).
    public enum Synchronous: Int32, Sendable, Hashable {
        /// In WAL mode a commit is not fsynced; a power loss may drop the latest commits but never corrupts.
        case normal = 1
        /// In WAL mode every commit fsyncs the WAL, so an acknowledged reservation survives power loss.
        case full = 2
    }

    /// Durability of commits. Default `.full`: a confirmed reservation must not be lost.
    public var synchronous: Synchronous
    /// How long a connection waits on a lock before failing with SQLITE_BUSY. Default 5000 ms.
    public var busyTimeoutMilliseconds: Int32
    /// Page-cache size per connection in KiB, passed to PRAGMA cache_size as a negative number
    /// (negative means KiB rather than pages). Default 65536 KiB (64 MiB).
    public var cacheSizeKibibytes: Int
    /// Size the WAL file is truncated to after a checkpoint resets it, and the size above which the
    /// checkpointer attempts a TRUNCATE checkpoint. Negative disables the limit. Default 64 MiB.
    public var journalSizeLimitBytes: Int64
    /// Bytes of the database file to memory-map. Default 0 (off): with mmap an I/O error becomes a
    /// signal instead of an error code (https://www.sqlite.org/mmap.html). SQLite may cap the value
    /// (SQLITE_MAX_MMAP_SIZE), so it is not verified after being set.
    public var mmapSizeBytes: Int64

    /// Creates options; every argument has the documented default.
    public init(
        synchronous: Synchronous = .full,
        busyTimeoutMilliseconds: Int32 = 5_000,
        cacheSizeKibibytes: Int = 65_536,
        journalSizeLimitBytes: Int64 = 64 * 1024 * 1024,
        mmapSizeBytes: Int64 = 0
    ) {
        self.synchronous = synchronous
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.cacheSizeKibibytes = cacheSizeKibibytes
        self.journalSizeLimitBytes = journalSizeLimitBytes
        self.mmapSizeBytes = mmapSizeBytes
    }
}
