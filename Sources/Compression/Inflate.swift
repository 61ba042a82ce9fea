/// One-shot decoders for DEFLATE data: gzip (RFC 1952), zlib (RFC 1950) and raw (RFC 1951).
///
/// Each takes the whole compressed input and returns the whole decoded output, or throws. The
/// output never grows past `maxOutputBytes`: a stream that would decode to more fails with
/// `.outputTooLarge` as soon as it has produced that much, so a small "bomb" cannot make the caller
/// allocate more than the limit. Input that follows the end of the stream is an error
/// (`.trailingData`), since a request body holds one stream and nothing else. A negative
/// `maxOutputBytes` is a programming error and stops the process.
public enum Inflate {
    /// Decodes a gzip stream (RFC 1952): each member's header (FTEXT, FHCRC, FEXTRA, FNAME,
    /// FCOMMENT), DEFLATE data, CRC-32 and ISIZE are checked.
    ///
    /// Members that follow one another are decoded in turn and their outputs joined
    /// (RFC 1952 §2.2); anything after the last member that does not start a member is rejected
    /// with `.trailingData`, zero padding included.
    public static func gunzip(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int) throws(InflateError) -> [UInt8] {
        var output = OutputBuffer(limit: maxOutputBytes, inputCount: input.count)
        try InflateScratch.with { scratch throws(InflateError) in
            var offset = try gunzipMember(input, at: 0, into: &output, scratch: scratch)
            while offset < input.count {
                // A byte that could begin the magic starts a member, even if the input ends with it.
                let startsMember = input[offset] == 0x1F && (offset + 1 == input.count || input[offset + 1] == 0x8B)
                guard startsMember else { throw .trailingData }
                offset = try gunzipMember(input, at: offset, into: &output, scratch: scratch)
            }
        }
        return output.finish()
    }

    /// Decodes a zlib stream (RFC 1950): CMF/FLG checked, no preset dictionary, Adler-32 checked.
    public static func zlibInflate(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int) throws(InflateError) -> [UInt8] {
        var output = OutputBuffer(limit: maxOutputBytes, inputCount: input.count)
        try InflateScratch.with { scratch throws(InflateError) in
            var reader = ByteReader(input, at: 0)
            let method = try reader.byte()
            let flags = try reader.byte()
            // RFC 1950 §2.2: CMF·256 + FLG is a multiple of 31, so a corrupted header shows.
            guard (Int(method) << 8 | Int(flags)) % 31 == 0 else { throw .malformed(.badZlibHeader) }
            guard method & 0x0F == 8 else { throw .malformed(.unsupportedMethod) }
            guard method >> 4 <= 7 else { throw .malformed(.windowTooLarge) }
            guard flags & 0x20 == 0 else { throw .malformed(.presetDictionary) }

            reader.offset = try RawInflater.inflate(input, from: reader.offset, into: &output, scratch: scratch)
            let adler = try reader.uint32BigEndian()
            let decoded = output.bytes.withUnsafeBytes { Checksum.adler32(UnsafeRawBufferPointer(rebasing: $0[0..<output.count])) }
            guard adler == decoded else { throw .checksumMismatch }
            guard reader.offset == input.count else { throw .trailingData }
        }
        return output.finish()
    }

    /// Decodes raw DEFLATE data (RFC 1951), with no header or checksum.
    ///
    /// The stream must end in the input's last byte: whole bytes after the final block are
    /// rejected with `.trailingData`.
    public static func rawInflate(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int) throws(InflateError) -> [UInt8] {
        var output = OutputBuffer(limit: maxOutputBytes, inputCount: input.count)
        try InflateScratch.with { scratch throws(InflateError) in
            let end = try RawInflater.inflate(input, from: 0, into: &output, scratch: scratch)
            guard end == input.count else { throw .trailingData }
        }
        return output.finish()
    }

    /// Decodes a gzip stream held in an array; see `gunzip(_:maxOutputBytes:)`.
    public static func gunzip(_ input: [UInt8], maxOutputBytes: Int) throws(InflateError) -> [UInt8] {
        try input.withUnsafeBytes { bytes in Result { () throws(InflateError) in try gunzip(bytes, maxOutputBytes: maxOutputBytes) } }.get()
    }

    /// Decodes a zlib stream held in an array; see `zlibInflate(_:maxOutputBytes:)`.
    public static func zlibInflate(_ input: [UInt8], maxOutputBytes: Int) throws(InflateError) -> [UInt8] {
        try input.withUnsafeBytes { bytes in Result { () throws(InflateError) in try zlibInflate(bytes, maxOutputBytes: maxOutputBytes) } }.get()
    }

    /// Decodes raw DEFLATE data held in an array; see `rawInflate(_:maxOutputBytes:)`.
    public static func rawInflate(_ input: [UInt8], maxOutputBytes: Int) throws(InflateError) -> [UInt8] {
        try input.withUnsafeBytes { bytes in Result { () throws(InflateError) in try rawInflate(bytes, maxOutputBytes: maxOutputBytes) } }.get()
    }

    /// Decodes the gzip member at `start` (RFC 1952 §2.3), appending to `output`.
    /// - Returns: the offset just past the member's trailer.
    private static func gunzipMember(
        _ input: UnsafeRawBufferPointer, at start: Int, into output: inout OutputBuffer, scratch: InflateScratch
    ) throws(InflateError) -> Int {
        var reader = ByteReader(input, at: start)
        guard try reader.byte() == 0x1F, try reader.byte() == 0x8B else { throw .malformed(.notGzip) }
        guard try reader.byte() == 8 else { throw .malformed(.unsupportedMethod) }
        let flags = try reader.byte()
        // RFC 1952 §2.3.1.2: a reserved bit may announce a field this decoder would misread.
        guard flags & 0xE0 == 0 else { throw .malformed(.reservedFlags) }
        try reader.skip(6)  // MTIME, XFL, OS
        if flags & GzipFlag.extra != 0 {
            let extraLength = Int(try reader.uint16LittleEndian())
            try reader.skip(extraLength)
        }
        if flags & GzipFlag.name != 0 { try reader.skipPastZero() }
        if flags & GzipFlag.comment != 0 { try reader.skipPastZero() }
        if flags & GzipFlag.headerCRC != 0 {
            // RFC 1952 §2.3.1: the two low bytes of the CRC-32 of the header up to here.
            let expected = UInt16(truncatingIfNeeded: Checksum.crc32(UnsafeRawBufferPointer(rebasing: input[start..<reader.offset])))
            guard try reader.uint16LittleEndian() == expected else { throw .checksumMismatch }
        }

        let memberStart = output.count
        reader.offset = try RawInflater.inflate(input, from: reader.offset, into: &output, scratch: scratch)
        let crc = try reader.uint32LittleEndian()
        let size = try reader.uint32LittleEndian()
        let decodedCRC = output.bytes.withUnsafeBytes {
            Checksum.crc32(UnsafeRawBufferPointer(rebasing: $0[memberStart..<output.count]))
        }
        // ISIZE is the length modulo 2^32 (RFC 1952 §2.3.1).
        guard crc == decodedCRC, size == UInt32(truncatingIfNeeded: output.count - memberStart) else {
            throw .checksumMismatch
        }
        return reader.offset
    }
}

/// FLG bits of a gzip member header (RFC 1952 §2.3.1). FTEXT (bit 0) is only a hint and changes nothing here.
private enum GzipFlag {
    static let headerCRC: UInt8 = 1 << 1
    static let extra: UInt8 = 1 << 2
    static let name: UInt8 = 1 << 3
    static let comment: UInt8 = 1 << 4
}

/// Reads the byte-aligned fields of gzip and zlib headers and trailers.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        self.bytes = bytes
        self.offset = offset
    }

    mutating func byte() throws(InflateError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func skip(_ count: Int) throws(InflateError) {
        guard bytes.count - offset >= count else { throw .truncated }
        offset += count
    }

    /// Skips a zero-terminated field (FNAME, FCOMMENT), its terminator included.
    mutating func skipPastZero() throws(InflateError) {
        while try byte() != 0 {}
    }

    mutating func uint16LittleEndian() throws(InflateError) -> UInt16 {
        let low = try byte()
        return UInt16(low) | UInt16(try byte()) << 8
    }

    mutating func uint32LittleEndian() throws(InflateError) -> UInt32 {
        let low = try uint16LittleEndian()
        return UInt32(low) | UInt32(try uint16LittleEndian()) << 16
    }

    /// zlib stores Adler-32 most significant byte first (RFC 1950 §2.1).
    mutating func uint32BigEndian() throws(InflateError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 { value = value << 8 | UInt32(try byte()) }
        return value
    }
}
