// Small POSIX helpers the SQLite wrapper needs; kept here so the rest of the wrapper imports only CSQLite.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An OS thread identity, so files that do not import the C library can store one.
typealias ThreadID = pthread_t

/// Platform helpers: thread identity, directory creation, clocks and file sizes.
enum Platform {
    /// The calling OS thread, for debug ownership checks.
    static func currentThread() -> ThreadID {
        pthread_self()
    }

    /// Whether two thread identities name the same thread (pthread_t is opaque, so compare via pthread_equal).
    static func sameThread(_ a: ThreadID, _ b: ThreadID) -> Bool {
        pthread_equal(a, b) != 0
    }

    /// Creates `directory` and any missing ancestors, like `mkdir -p`.
    ///
    /// Returns nil on success or a description of the first failure. An existing directory is success,
    /// which also makes two processes racing to create the same tree harmless.
    static func createDirectories(_ directory: String) -> String? {
        guard !directory.isEmpty else { return nil }
        var prefix = directory.hasPrefix("/") ? "/" : ""
        for component in directory.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += component
            if mkdir(prefix, 0o755) != 0 {
                let failure = errno
                guard failure == EEXIST, isDirectory(prefix) else {
                    return "cannot create directory \(prefix): \(String(cString: strerror(failure)))"
                }
            }
            prefix += "/"
        }
        return nil
    }

    /// The directory part of `path`, or nil when the path names a file in the current directory.
    static func parentDirectory(of path: String) -> String? {
        guard let slash = path.lastIndex(of: "/") else { return nil }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    /// Whether `path` exists and is a directory.
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The size of the file at `path` in bytes, or nil when it does not exist.
    static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// Writes `text` to file descriptor 2 with one write(2): no stdio buffer (so it survives a crash
    /// that follows) and no shared `FILE` state; short writes and errors are ignored, since there is
    /// nowhere else to report them.
    static func writeStandardError(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count)
        }
    }

    /// The message for an errno value.
    static func describe(errno value: Int32) -> String {
        String(cString: strerror(value))
    }
}
