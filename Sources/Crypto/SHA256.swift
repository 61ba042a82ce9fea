/// Streaming and one-shot SHA-256 as specified in FIPS 180-4, section 6.2.
///
/// The hasher keeps a 64-byte block buffer allocated once per value; whole blocks
/// in the input are compressed straight from the caller's memory, so hashing does
/// not allocate per block. A value can be copied to fork a running hash.
public struct SHA256: Sendable {
    /// Size of a digest in bytes (FIPS 180-4 §1: 256-bit message digest).
    public static let digestByteCount = 32
    /// Size of a message block in bytes (FIPS 180-4 §1: 512-bit blocks).
    public static let blockByteCount = 64

    /// Working hash value H(i), FIPS 180-4 §6.2.2 step 4.
    private var state: State
    /// Bytes of the current incomplete block; always 64 bytes long.
    private var block: [UInt8]
    /// How many bytes of `block` hold message data.
    private var blockCount: Int
    /// Total message length in bytes so far (the length field is in bits, mod 2^64).
    private var messageLength: UInt64

    /// Creates a hasher holding the initial hash value H(0).
    public init() {
        state = State()
        block = [UInt8](repeating: 0, count: SHA256.blockByteCount)
        blockCount = 0
        messageLength = 0
    }

    /// Feeds bytes into the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var input = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        messageLength &+= UInt64(truncatingIfNeeded: remaining)

        // Top up a partially filled block first.
        if blockCount > 0 {
            let take = min(remaining, SHA256.blockByteCount - blockCount)
            let filled = blockCount
            block.withUnsafeMutableBytes { dst in
                dst.baseAddress!.advanced(by: filled).copyMemory(from: input, byteCount: take)
            }
            blockCount += take
            input += take
            remaining -= take
            if blockCount < SHA256.blockByteCount { return }
            block.withUnsafeBytes { SHA256.compress(&state, blocks: $0.baseAddress!, count: 1) }
            blockCount = 0
        }

        // Whole blocks go straight from the caller's buffer.
        let wholeBlocks = remaining / SHA256.blockByteCount
        if wholeBlocks > 0 {
            SHA256.compress(&state, blocks: input, count: wholeBlocks)
            input += wholeBlocks * SHA256.blockByteCount
            remaining -= wholeBlocks * SHA256.blockByteCount
        }

        if remaining > 0 {
            let tail = input
            let tailCount = remaining
            block.withUnsafeMutableBytes { dst in
                dst.baseAddress!.copyMemory(from: tail, byteCount: tailCount)
            }
            blockCount = remaining
        }
    }

    /// Feeds the bytes of an array into the hash.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds the UTF-8 encoding of a string into the hash.
    public mutating func update(_ string: String) {
        var copy = string
        copy.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Feeds any byte sequence into the hash, using contiguous storage when the sequence has it.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if handled != nil { return }
        for byte in bytes {
            block[blockCount] = byte
            blockCount += 1
            messageLength &+= 1
            if blockCount == SHA256.blockByteCount {
                block.withUnsafeBytes { SHA256.compress(&state, blocks: $0.baseAddress!, count: 1) }
                blockCount = 0
            }
        }
    }

    /// Pads the message, returns the 32-byte digest and resets the hasher to its initial state.
    ///
    /// Padding follows FIPS 180-4 §5.1.1: a single 1 bit, zero bits up to 448 mod 512,
    /// then the message length in bits as a 64-bit big-endian integer.
    public mutating func finalize() -> [UInt8] {
        let bitLength = messageLength &* 8
        var padding = [UInt8](repeating: 0, count: 2 * SHA256.blockByteCount)
        padding[0] = 0x80
        // Room for 0x80 plus the 8-byte length: pad to 56 mod 64.
        let padCount = blockCount < 56 ? 56 - blockCount : 120 - blockCount
        for i in 0..<8 {
            padding[padCount + i] = UInt8(truncatingIfNeeded: bitLength >> (56 - 8 * UInt64(i)))
        }
        // The length was captured above, so counting the padding itself is harmless.
        padding.withUnsafeBytes { update(UnsafeRawBufferPointer(rebasing: $0[0..<(padCount + 8)])) }
        precondition(blockCount == 0, "SHA-256 padding must end on a block boundary")

        var digest = [UInt8](repeating: 0, count: SHA256.digestByteCount)
        state.write(to: &digest)
        self = SHA256()
        return digest
    }

    /// Hashes a whole message at once.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Hashes a whole message given as raw bytes.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Hashes the UTF-8 encoding of a string.
    public static func hash(_ string: String) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(string)
        return hasher.finalize()
    }
}

extension SHA256 {
    /// The eight 32-bit words of the intermediate hash value.
    struct State: Sendable {
        var h0, h1, h2, h3, h4, h5, h6, h7: UInt32

        /// H(0) from FIPS 180-4 §5.3.3: fractional parts of the square roots of the first eight primes.
        init() {
            h0 = 0x6a09_e667; h1 = 0xbb67_ae85; h2 = 0x3c6e_f372; h3 = 0xa54f_f53a
            h4 = 0x510e_527f; h5 = 0x9b05_688c; h6 = 0x1f83_d9ab; h7 = 0x5be0_cd19
        }

        /// Writes the words big-endian, as FIPS 180-4 §6.2.2 concatenates H0..H7.
        func write(to digest: inout [UInt8]) {
            let words = [h0, h1, h2, h3, h4, h5, h6, h7]
            for (i, word) in words.enumerated() {
                digest[4 * i] = UInt8(truncatingIfNeeded: word >> 24)
                digest[4 * i + 1] = UInt8(truncatingIfNeeded: word >> 16)
                digest[4 * i + 2] = UInt8(truncatingIfNeeded: word >> 8)
                digest[4 * i + 3] = UInt8(truncatingIfNeeded: word)
            }
        }
    }

    /// K constants, FIPS 180-4 §4.2.2: fractional parts of the cube roots of the first 64 primes.
    static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    /// ROTR^n(x), FIPS 180-4 §3.2; n is always in 1...31 here.
    @inline(__always)
    private static func rotateRight(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x &>> n) | (x &<< (32 &- n))
    }

    /// Runs the compression function (FIPS 180-4 §6.2.2) over `count` consecutive 64-byte blocks.
    ///
    /// The message schedule lives in a stack temporary, so the loop performs no heap allocation.
    private static func compress(_ state: inout State, blocks: UnsafeRawPointer, count: Int) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            roundConstants.withUnsafeBufferPointer { k in
                var s = state
                for blockIndex in 0..<count {
                    let p = blocks + blockIndex * SHA256.blockByteCount
                    // Step 1: prepare the message schedule W(t).
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
                    }
                    for t in 16..<64 {
                        let x = w[t - 15], y = w[t - 2]
                        let sigma0 = rotateRight(x, 7) ^ rotateRight(x, 18) ^ (x &>> 3)
                        let sigma1 = rotateRight(y, 17) ^ rotateRight(y, 19) ^ (y &>> 10)
                        w[t] = sigma1 &+ w[t - 7] &+ sigma0 &+ w[t - 16]
                    }
                    // Steps 2-3: the 64 rounds over working variables a..h.
                    var a = s.h0, b = s.h1, c = s.h2, d = s.h3
                    var e = s.h4, f = s.h5, g = s.h6, h = s.h7
                    for t in 0..<64 {
                        let bigSigma1 = rotateRight(e, 6) ^ rotateRight(e, 11) ^ rotateRight(e, 25)
                        let choose = (e & f) ^ (~e & g)
                        let t1 = h &+ bigSigma1 &+ choose &+ k[t] &+ w[t]
                        let bigSigma0 = rotateRight(a, 2) ^ rotateRight(a, 13) ^ rotateRight(a, 22)
                        let majority = (a & b) ^ (a & c) ^ (b & c)
                        let t2 = bigSigma0 &+ majority
                        h = g; g = f; f = e; e = d &+ t1
                        d = c; c = b; b = a; a = t1 &+ t2
                    }
                    // Step 4: the next intermediate hash value.
                    s.h0 &+= a; s.h1 &+= b; s.h2 &+= c; s.h3 &+= d
                    s.h4 &+= e; s.h5 &+= f; s.h6 &+= g; s.h7 &+= h
                }
                state = s
            }
        }
    }
}
