import Glibc
import Synchronization
import Threading

/// The RS256 keys of `JWT_JWKS_FILE`, re-read when the file changes so keys rotate without a
/// restart. A watcher thread (never a loop) looks at the file's inode, size and modification
/// time once per `pollMilliseconds` and re-reads it when any changed; a file that no longer
/// parses keeps the previous keys (and is reported), so a half-written file never locks everyone out.
public final class JWKSSource: Sendable {
    public let path: String
    /// The keys in use; read on a cache miss only (a verified token is cached per loop).
    private let state: Mutex<State>
    /// Bumped on every change of keys, read lock-free by the loops' token caches.
    private let generationCounter = Atomic<UInt64>(1)

    private struct State {
        var keys: JWKSet
        var stamp: FileStamp
    }

    /// What a reload did, for the log.
    public enum Reload: Sendable {
        case unchanged
        case replaced(keyCount: Int)
        /// The file changed but cannot be used; the previous keys stay.
        case refused(String)
    }

    /// Reads `path` now; throws (with a message for the operator) when it cannot be used.
    public init(path: String) throws(JWKSet.ParseError) {
        self.path = path
        let (bytes, stamp) = try Self.read(path)
        state = Mutex(State(keys: try JWKSet.parse(bytes), stamp: stamp))
    }

    /// The keys in use.
    public var current: JWKSet { state.withLock { $0.keys } }

    public var generation: UInt64 { generationCounter.load(ordering: .acquiring) }

    /// Re-reads the file if it changed since the last read.
    public func reloadIfChanged() -> Reload {
        let known = state.withLock { $0.stamp }
        guard let now = FileStamp(path: path), now != known else { return .unchanged }
        do {
            let (bytes, stamp) = try Self.read(path)
            let keys = try JWKSet.parse(bytes)
            state.withLock { $0 = State(keys: keys, stamp: stamp) }
            generationCounter.add(1, ordering: .releasing)
            return .replaced(keyCount: keys.keys.count)
        } catch {
            // Remember the broken version so it is reported once, not every poll.
            state.withLock { $0.stamp = now }
            return .refused(error.description)
        }
    }

    /// Starts the watcher thread; `report` hears about every reload that changed something. It
    /// runs until the process exits.
    public func watch(pollMilliseconds: Int = 1000, report: @escaping @Sendable (Reload) -> Void) throws(ThreadStartError) {
        try OSThread.detached(name: "jwks-watch") { [self] in
            while true {
                usleep(UInt32(pollMilliseconds) * 1000)
                let reload = reloadIfChanged()
                if case .unchanged = reload { continue }
                report(reload)
            }
        }
    }

    private static func read(_ path: String) throws(JWKSet.ParseError) -> ([UInt8], FileStamp) {
        guard let stamp = FileStamp(path: path) else {
            throw JWKSet.ParseError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard let file = fopen(path, "rb") else {
            throw JWKSet.ParseError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: JWKSet.documentBytesMax + 1)
        let count = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        guard count <= JWKSet.documentBytesMax else {
            throw JWKSet.ParseError("\(path) is larger than \(JWKSet.documentBytesMax) bytes")
        }
        bytes.removeSubrange(count...)
        return (bytes, stamp)
    }
}

/// What tells one version of a file from the next: a rename puts a new inode in place, an edit in
/// place changes size or modification time.
struct FileStamp: Equatable, Sendable {
    let inode: UInt64
    let size: Int64
    let modifiedNanoseconds: Int64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modifiedNanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }
}
