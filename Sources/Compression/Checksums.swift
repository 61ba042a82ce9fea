/// The two checksums that wrap DEFLATE data: CRC-32 for gzip, Adler-32 for zlib.
public enum Checksum {
    /// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) as gzip stores it (RFC 1952 §8).
    ///
    /// Pass the result of an earlier call as `crc` to continue over more bytes; 0 starts afresh.
    /// Eight bytes are folded per step through eight tables ("slicing by eight"), because a
    /// byte-at-a-time loop would cost about as much as decoding the data it checks.
    public static func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard var pointer = bytes.baseAddress else { return crc }
        var remaining = bytes.count
        var state = ~crc
        crcTables.withUnsafeBufferPointer { tables in
            let table = tables.baseAddress!
            while remaining >= 8 {
                let low = UInt32(littleEndian: pointer.loadUnaligned(as: UInt32.self)) ^ state
                let high = UInt32(littleEndian: pointer.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
                state = table[7 * 256 + Int(low & 0xFF)] ^ table[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((low >> 16) & 0xFF)] ^ table[4 * 256 + Int(low >> 24)]
                    ^ table[3 * 256 + Int(high & 0xFF)] ^ table[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ table[1 * 256 + Int((high >> 16) & 0xFF)] ^ table[Int(high >> 24)]
                pointer += 8
                remaining -= 8
            }
            while remaining > 0 {
                state = table[Int((state ^ UInt32(pointer.load(as: UInt8.self))) & 0xFF)] ^ (state >> 8)
                pointer += 1
                remaining -= 1
            }
        }
        return ~state
    }

    /// CRC-32 of an array's bytes.
    public static func crc32(_ bytes: [UInt8], continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { crc32($0, continuing: crc) }
    }

    /// Adler-32 as zlib stores it (RFC 1950 §8.2).
    ///
    /// Pass the result of an earlier call as `adler` to continue over more bytes; 1 starts afresh.
    public static func adler32(_ bytes: UnsafeRawBufferPointer, continuing adler: UInt32 = 1) -> UInt32 {
        let modulus: UInt64 = 65521
        var low = UInt64(adler & 0xFFFF)
        var high = UInt64(adler >> 16)
        var offset = 0
        while offset < bytes.count {
            // The sums only need reducing now and then: over 64 KiB of 0xFF bytes `high` grows by
            // less than 2^40, far from overflowing 64 bits.
            let end = min(bytes.count, offset + 65536)
            while offset < end {
                low += UInt64(bytes[offset])
                high += low
                offset += 1
            }
            low %= modulus
            high %= modulus
        }
        return UInt32(high << 16 | low)
    }

    /// Adler-32 of an array's bytes.
    public static func adler32(_ bytes: [UInt8], continuing adler: UInt32 = 1) -> UInt32 {
        bytes.withUnsafeBytes { adler32($0, continuing: adler) }
    }
}

/// Table `k` (at offset 256·k) maps a byte to its CRC after it is followed by `k` zero bytes, so
/// eight table look-ups advance the CRC by eight bytes at once.
private let crcTables: [UInt32] = {
    var tables = [UInt32](repeating: 0, count: 8 * 256)
    for byte in 0..<256 {
        var value = UInt32(byte)
        for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1 }
        tables[byte] = value
    }
    for table in 1..<8 {
        for byte in 0..<256 {
            let previous = tables[(table - 1) * 256 + byte]
            tables[table * 256 + byte] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
        }
    }
    return tables
}()
