/// HMAC with SHA-256 as the hash function (RFC 2104), used for signing tokens such as JWT HS256.
public enum HMACSHA256 {
    /// Output size in bytes; this implementation never truncates (RFC 2104 §5).
    public static let macByteCount = SHA256.digestByteCount

    /// Computes HMAC-SHA256(key, message) = H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ message)).
    ///
    /// Keys longer than the 64-byte block are first hashed, and shorter keys are
    /// zero-padded to the block size, as RFC 2104 §2 prescribes.
    public static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        message.withUnsafeBytes { authenticate(key: key, message: $0) }
    }

    /// Computes HMAC-SHA256 over a message given as raw bytes.
    public static func authenticate(key: [UInt8], message: UnsafeRawBufferPointer) -> [UInt8] {
        var blockKey = key.count > SHA256.blockByteCount ? SHA256.hash(key) : key
        blockKey.append(contentsOf: repeatElement(0, count: SHA256.blockByteCount - blockKey.count))

        // RFC 2104 §2: ipad is 0x36 repeated, opad is 0x5C repeated.
        var pad = [UInt8](repeating: 0, count: SHA256.blockByteCount)
        for i in 0..<SHA256.blockByteCount { pad[i] = blockKey[i] ^ 0x36 }
        var inner = SHA256()
        inner.update(pad)
        inner.update(message)
        let innerDigest = inner.finalize()

        for i in 0..<SHA256.blockByteCount { pad[i] = blockKey[i] ^ 0x5C }
        var outer = SHA256()
        outer.update(pad)
        outer.update(innerDigest)
        return outer.finalize()
    }

    /// Computes HMAC-SHA256 with the UTF-8 encodings of a string key and message.
    public static func authenticate(key: String, message: String) -> [UInt8] {
        authenticate(key: Array(key.utf8), message: Array(message.utf8))
    }
}

/// An HMAC-SHA256 key with its padded blocks already hashed (RFC 2104 §4 suggests keeping these
/// intermediate results): each MAC then costs the message's blocks plus two, not four more.
public struct HMACSHA256Key: Sendable {
    private let inner: SHA256
    private let outer: SHA256

    public init(_ key: [UInt8]) {
        var blockKey = key.count > SHA256.blockByteCount ? SHA256.hash(key) : key
        blockKey.append(contentsOf: repeatElement(0, count: SHA256.blockByteCount - blockKey.count))
        var inner = SHA256()
        inner.update(blockKey.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(blockKey.map { $0 ^ 0x5C })
        self.inner = inner
        self.outer = outer
    }

    /// HMAC-SHA256 of `message` under this key.
    public func authenticate(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        var inner = self.inner
        inner.update(message)
        var outer = self.outer
        outer.update(inner.finalize())
        return outer.finalize()
    }
}

/// Compares two byte strings in time that depends only on their lengths.
///
/// Use this to check MACs: an early-exit comparison would leak, through timing,
/// how many leading bytes of a forged tag were right.
public func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for i in 0..<lhs.count { difference |= lhs[i] ^ rhs[i] }
    return difference == 0
}
