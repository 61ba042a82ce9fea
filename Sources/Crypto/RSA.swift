/// An RSA public key prepared for signature verification (RFC 8017): the modulus as little-endian
/// 64-bit limbs, with the Montgomery constants computed once so that each verification is only
/// the modular exponentiation.
///
/// Only verification is offered; nothing here handles a private key, so no operation needs to be
/// constant-time with respect to secrets.
public struct RSAPublicKey: Sendable, Equatable {
    /// Smallest and largest modulus accepted, in bits.
    public static let modulusBitsMin = 2048
    public static let modulusBitsMax = 4096

    /// Why a key cannot be used.
    public enum KeyError: Error, Equatable, Sendable, CustomStringConvertible {
        case modulusSize(bits: Int)
        case evenModulus
        case exponent(String)

        public var description: String {
            switch self {
            case .modulusSize(let bits):
                "the modulus has \(bits) bits; \(RSAPublicKey.modulusBitsMin)-\(RSAPublicKey.modulusBitsMax) are accepted"
            case .evenModulus: "the modulus is even"
            case .exponent(let problem): "the public exponent \(problem)"
            }
        }
    }

    /// k in RFC 8017: the modulus length in bytes (and so the signature length).
    public let modulusByteCount: Int
    /// The modulus' size in bits.
    public let modulusBits: Int
    /// n, little-endian limbs.
    let modulus: [UInt64]
    /// e, little-endian limbs without leading zero limbs.
    let exponent: [UInt64]
    /// -n⁻¹ mod 2⁶⁴, for Montgomery reduction.
    let montgomeryFactor: UInt64
    /// R² mod n with R = 2^(64·limbs): multiplying by it enters the Montgomery domain.
    let rSquared: [UInt64]

    /// The key with modulus `n` and exponent `e`, both big-endian unsigned (leading zero bytes
    /// allowed). The modulus must be odd and 2048–4096 bits; the exponent odd, at least 3 and
    /// smaller than the modulus.
    public init(modulus n: [UInt8], exponent e: [UInt8]) throws(KeyError) {
        let modulus = Self.limbs(bigEndian: n)
        let bits = Self.bitLength(modulus)
        guard (Self.modulusBitsMin...Self.modulusBitsMax).contains(bits) else { throw .modulusSize(bits: bits) }
        guard modulus[0] & 1 == 1 else { throw .evenModulus }
        let exponent = Self.trimmed(Self.limbs(bigEndian: e))
        guard exponent.first.map({ $0 & 1 == 1 }) ?? false else { throw .exponent("must be odd") }
        guard exponent.count > 1 || exponent[0] >= 3 else { throw .exponent("must be at least 3") }
        guard Self.bitLength(exponent) < bits else { throw .exponent("must be smaller than the modulus") }
        self.modulus = modulus
        self.exponent = exponent
        modulusBits = bits
        modulusByteCount = (bits + 7) / 8
        montgomeryFactor = 0 &- Self.inverse(modulus[0])
        rSquared = Self.rSquared(modulus)
    }

    // MARK: Verification

    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2.2): whether `signature` signs the message
    /// whose SHA-256 digest is `digest`. The recovered encoding is compared whole with the one
    /// expected (EMSA-PKCS1-v1_5, §9.2), so no parsing of it can be tricked by odd padding.
    public func verifySHA256(signature: [UInt8], digest: [UInt8]) -> Bool {
        // §8.2.2 step 1: the signature is exactly k bytes.
        guard signature.count == modulusByteCount, digest.count == SHA256.digestByteCount else { return false }
        // RSAVP1 (§5.2.2): s must be below n.
        let s = Self.limbs(bigEndian: signature, count: modulus.count)
        guard Self.compare(s, modulus) < 0 else { return false }
        let m = power(s)
        let encoded = Self.bigEndianBytes(m, count: modulusByteCount)
        return constantTimeEquals(encoded, Self.expectedEncoding(digest: digest, length: modulusByteCount))
    }

    /// EMSA-PKCS1-v1_5 for SHA-256 (RFC 8017 §9.2): 00 01 FF…FF 00 ‖ DigestInfo ‖ H.
    static func expectedEncoding(digest: [UInt8], length: Int) -> [UInt8] {
        let tail = digestInfoPrefix + digest
        var encoded: [UInt8] = [0x00, 0x01]
        encoded.reserveCapacity(length)
        encoded += repeatElement(0xFF, count: length - tail.count - 3)
        encoded.append(0x00)
        encoded += tail
        return encoded
    }

    /// The DER of DigestInfo for SHA-256 before the hash itself (RFC 8017 §9.2, note 1).
    static let digestInfoPrefix: [UInt8] = [
        0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
    ]

    /// base^e mod n by left-to-right square-and-multiply in the Montgomery domain (for e = 65537:
    /// 16 squarings and one multiplication, plus one each way into and out of the domain).
    func power(_ base: [UInt64]) -> [UInt64] {
        let count = modulus.count
        var scratch = [UInt64](repeating: 0, count: count + 2)
        var one = [UInt64](repeating: 0, count: count)
        one[0] = 1
        var baseM = [UInt64](repeating: 0, count: count)
        var result = [UInt64](repeating: 0, count: count)
        multiply(base, rSquared, into: &baseM, scratch: &scratch)
        result = baseM
        let topBit = Self.bitLength(exponent) - 1
        var bit = topBit - 1
        var square = [UInt64](repeating: 0, count: count)
        while bit >= 0 {
            multiply(result, result, into: &square, scratch: &scratch)
            if exponent[bit / 64] >> UInt64(bit % 64) & 1 == 1 {
                multiply(square, baseM, into: &result, scratch: &scratch)
            } else {
                swap(&result, &square)
            }
            bit -= 1
        }
        multiply(result, one, into: &square, scratch: &scratch)
        return square
    }

    /// Montgomery multiplication, CIOS form (Koç, Acar and Kaliski 1996): a·b·R⁻¹ mod n for a, b < n.
    /// `scratch` has count + 2 limbs.
    func multiply(_ a: [UInt64], _ b: [UInt64], into out: inout [UInt64], scratch t: inout [UInt64]) {
        let count = modulus.count
        let factor = montgomeryFactor
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                modulus.withUnsafeBufferPointer { n in
                    t.withUnsafeMutableBufferPointer { t in
                        for index in 0..<(count + 2) { t[index] = 0 }
                        for i in 0..<count {
                            // t += a·b[i]
                            var carry: UInt64 = 0
                            let bi = b[i]
                            for j in 0..<count {
                                (carry, t[j]) = Self.multiplyAdd(a[j], bi, t[j], carry)
                            }
                            var (sum, overflow) = t[count].addingReportingOverflow(carry)
                            t[count] = sum
                            t[count + 1] = overflow ? 1 : 0
                            // t = (t + m·n) / 2⁶⁴, with m chosen so the low limb becomes zero.
                            let m = t[0] &* factor
                            (carry, _) = Self.multiplyAdd(m, n[0], t[0], 0)
                            for j in 1..<count {
                                (carry, t[j - 1]) = Self.multiplyAdd(m, n[j], t[j], carry)
                            }
                            (sum, overflow) = t[count].addingReportingOverflow(carry)
                            t[count - 1] = sum
                            t[count] = t[count + 1] &+ (overflow ? 1 : 0)
                        }
                    }
                }
            }
        }
        // The result is below 2n: one conditional subtraction brings it below n.
        for index in 0..<count { out[index] = t[index] }
        if t[count] != 0 || Self.compare(out, modulus) >= 0 {
            Self.subtract(&out, modulus)
        }
    }

    /// a·b + c + d as (high, low); cannot overflow 128 bits.
    @inline(__always)
    static func multiplyAdd(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) -> (high: UInt64, low: UInt64) {
        let (high, low) = a.multipliedFullWidth(by: b)
        let (low1, carry1) = low.addingReportingOverflow(c)
        let (low2, carry2) = low1.addingReportingOverflow(d)
        return (high &+ (carry1 ? 1 : 0) &+ (carry2 ? 1 : 0), low2)
    }

    // MARK: Limb arithmetic

    /// Big-endian bytes as little-endian limbs, at least `count` of them.
    static func limbs(bigEndian bytes: [UInt8], count: Int = 0) -> [UInt64] {
        var limbs = [UInt64](repeating: 0, count: max(count, (bytes.count + 7) / 8, 1))
        for (offset, byte) in bytes.reversed().enumerated() {
            limbs[offset / 8] |= UInt64(byte) << UInt64(8 * (offset % 8))
        }
        return limbs
    }

    /// The low `count` bytes of `limbs`, big-endian.
    static func bigEndianBytes(_ limbs: [UInt64], count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        for offset in 0..<count where offset / 8 < limbs.count {
            bytes[count - 1 - offset] = UInt8(truncatingIfNeeded: limbs[offset / 8] >> UInt64(8 * (offset % 8)))
        }
        return bytes
    }

    static func trimmed(_ limbs: [UInt64]) -> [UInt64] {
        var limbs = limbs
        while limbs.count > 1, limbs.last == 0 { limbs.removeLast() }
        return limbs
    }

    static func bitLength(_ limbs: [UInt64]) -> Int {
        for index in limbs.indices.reversed() where limbs[index] != 0 {
            return index * 64 + 64 - limbs[index].leadingZeroBitCount
        }
        return 0
    }

    /// -1, 0 or 1 as a <, = or > b (same limb count).
    static func compare(_ a: [UInt64], _ b: [UInt64]) -> Int {
        for index in a.indices.reversed() where a[index] != b[index] {
            return a[index] < b[index] ? -1 : 1
        }
        return 0
    }

    /// a -= b modulo 2^(64·count).
    static func subtract(_ a: inout [UInt64], _ b: [UInt64]) {
        var borrow = false
        for index in a.indices {
            let (difference, borrow1) = a[index].subtractingReportingOverflow(b[index])
            let (result, borrow2) = difference.subtractingReportingOverflow(borrow ? 1 : 0)
            a[index] = result
            borrow = borrow1 || borrow2
        }
    }

    /// x⁻¹ mod 2⁶⁴ for odd x, by Newton's iteration (each step doubles the correct low bits; x is
    /// its own inverse modulo 8).
    static func inverse(_ x: UInt64) -> UInt64 {
        var inverse = x
        for _ in 0..<5 { inverse = inverse &* (2 &- x &* inverse) }
        return inverse
    }

    /// R² mod n by doubling 1 modulo n, 2·64·limbs times (once per key, so simple beats fast).
    static func rSquared(_ modulus: [UInt64]) -> [UInt64] {
        var value = [UInt64](repeating: 0, count: modulus.count)
        value[0] = 1
        for _ in 0..<(2 * 64 * modulus.count) {
            let carry = value[value.count - 1] >> 63
            for index in stride(from: value.count - 1, to: 0, by: -1) {
                value[index] = value[index] << 1 | value[index - 1] >> 63
            }
            value[0] <<= 1
            if carry != 0 || compare(value, modulus) >= 0 { subtract(&value, modulus) }
        }
        return value
    }
}
