import Compression
import Testing

/// CRC-32 one bit at a time, straight from the definition (RFC 1952 §8), to check the table-driven one.
private func bitwiseCRC32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// Adler-32 reduced after every byte (RFC 1950 §8.2), to check the version that reduces rarely.
private func simpleAdler32(_ bytes: [UInt8]) -> UInt32 {
    var low: UInt32 = 1
    var high: UInt32 = 0
    for byte in bytes {
        low = (low + UInt32(byte)) % 65521
        high = (high + low) % 65521
    }
    return high << 16 | low
}

@Test func crc32_matchesTheCheckValue() {
    #expect(Checksum.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    #expect(Checksum.crc32([UInt8]()) == 0)
}

@Test func crc32_matchesTheBitwiseDefinitionAtEveryLength() {
    let bytes = seededBytes(seed: 21, count: 300)
    for count in 0...bytes.count {
        let prefix = Array(bytes[0..<count])
        #expect(Checksum.crc32(prefix) == bitwiseCRC32(prefix), "\(count) bytes")
    }
}

@Test func crc32_continuesAcrossPieces() {
    let bytes = seededBytes(seed: 22, count: 1000)
    for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
        let first = Checksum.crc32(Array(bytes[0..<split]))
        #expect(Checksum.crc32(Array(bytes[split...]), continuing: first) == Checksum.crc32(bytes))
    }
}

@Test func adler32_matchesKnownValues() {
    #expect(Checksum.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
    #expect(Checksum.adler32(Array("123456789".utf8)) == 0x091E_01DE)
    #expect(Checksum.adler32([UInt8]()) == 1)
}

@Test func adler32_reducesLateWithoutOverflow() {
    // All 0xFF bytes make the sums grow fastest; past 64 KiB the deferred reduction is exercised.
    let ones = [UInt8](repeating: 0xFF, count: 200_000)
    #expect(Checksum.adler32(ones) == simpleAdler32(ones))
    let bytes = seededBytes(seed: 23, count: 70_000)
    #expect(Checksum.adler32(bytes) == simpleAdler32(bytes))
    #expect(Checksum.adler32(Array(bytes[30_000...]), continuing: Checksum.adler32(Array(bytes[0..<30_000]))) == simpleAdler32(bytes))
}
