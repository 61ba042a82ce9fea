/// Decodes header blocks (RFC 7541), keeping the dynamic table of one connection.
///
/// Every block the peer sends must pass through here in order, including blocks of streams that
/// are refused or ignored, or the table stops matching the peer's encoder.
public struct HPACKDecoder: Sendable {
    /// What one block decoded to.
    public struct DecodedBlock: Sendable, Equatable {
        /// The fields in order, as many as fit `headerListSizeMax`.
        public var fields: [HeaderField]
        /// RFC 9113 §6.5.2: the sum of name and value octets plus 32 per field, counted for all
        /// fields of the block even past the limit.
        public var headerListSize: Int
        /// True when `headerListSize` is over the limit; `fields` then stops before the field that
        /// crossed it.
        public var isOverLimit: Bool
    }

    private var table: HPACKDynamicTable
    /// The largest size update accepted: our SETTINGS_HEADER_TABLE_SIZE in force (RFC 7541 §4.2).
    public private(set) var maxTableSizeAllowed: Int
    /// Set when the allowed size was lowered below the table's size: the encoder must announce a
    /// smaller table at the start of its next block.
    private var sizeUpdateOwed = false
    /// Reused for Huffman-decoded strings.
    private var scratch: [UInt8] = []
    /// Long literals seen lately, by their encoded octets. Clients send some literals on every
    /// request without indexing them (nghttp2 does so for `:path`); an equal encoding decodes to
    /// an equal string, so a repeat costs a comparison instead of a decode and an allocation.
    private var recentLiterals: [RecentLiteral] = []
    private var recentLiteralsNext = 0
    private static let recentLiteralsMax = 4
    /// Literals at least this long are remembered (shorter strings are stored inline, cheaply).
    private static let recentLiteralOctetsMin = 16
    private static let recentLiteralOctetsMax = 256

    private struct RecentLiteral {
        let encoded: [UInt8]
        let huffman: Bool
        let value: String
        let octets: Int
    }

    /// A decoder whose table starts at `maxTableSize`, which is also the largest size update it
    /// accepts (4,096 octets unless the peer was told otherwise, RFC 9113 §6.5.2).
    public init(maxTableSize: Int = 4_096) {
        precondition(maxTableSize >= 0)
        table = HPACKDynamicTable(maxSize: maxTableSize)
        maxTableSizeAllowed = maxTableSize
    }

    /// The dynamic table's size in octets (RFC 7541 §4.1).
    public var tableSize: Int { table.size }
    /// The maximum the encoder last set.
    public var tableMaxSize: Int { table.maxSize }
    public var tableEntryCount: Int { table.count }

    /// The dynamic entry at a 1-based index (1 is the newest), for tests and diagnostics.
    public func tableEntry(at index: Int) -> HeaderField? { table.entry(at: index)?.field }

    /// Applies a new SETTINGS_HEADER_TABLE_SIZE once the peer has acknowledged it. A limit below
    /// the current maximum obliges the peer to start its next block with a size update.
    public mutating func setMaxTableSizeAllowed(_ newLimit: Int) {
        precondition(newLimit >= 0)
        maxTableSizeAllowed = newLimit
        if newLimit < table.maxSize { sizeUpdateOwed = true }
    }

    /// Decodes one complete header block.
    ///
    /// Past `headerListSizeMax` the rest of the block is still decoded, so that the dynamic table
    /// stays in step, but no more fields are kept and strings that are not indexed are skipped
    /// unread: memory stays bounded by the limit whatever the block expands to.
    public mutating func decode(_ block: UnsafeRawBufferPointer, headerListSizeMax: Int) throws(HPACKError) -> DecodedBlock {
        var result = DecodedBlock(fields: [], headerListSize: 0, isOverLimit: false)
        // A request has about a dozen fields: one allocation instead of growing four times.
        result.fields.reserveCapacity(16)
        var index = 0
        var sawField = false
        while index < block.count {
            let first = block[index]
            if first & 0xE0 == 0x20 {
                // RFC 7541 §6.3: dynamic table size update, only before the first field.
                if sawField { throw .sizeUpdateNotAtStart }
                let newSize = try HPACKInteger.decode(block, at: &index, prefixBits: 5)
                if newSize > maxTableSizeAllowed { throw .sizeUpdateTooLarge(newSize) }
                table.setMaxSize(newSize)
                sizeUpdateOwed = false
                continue
            }
            if sizeUpdateOwed { throw .sizeUpdateMissing }
            sawField = true
            if first & 0x80 != 0 {
                // RFC 7541 §6.1: indexed header field.
                let entry = try lookup(try HPACKInteger.decode(block, at: &index, prefixBits: 7))
                append(entry.field, size: entry.size, to: &result, limit: headerListSizeMax)
            } else if first & 0xC0 == 0x40 {
                // RFC 7541 §6.2.1: literal with incremental indexing; always decoded, for the table.
                let nameIndex = try HPACKInteger.decode(block, at: &index, prefixBits: 6)
                let (name, nameOctets) = try literalName(block, at: &index, nameIndex: nameIndex)
                let (value, valueOctets) = try readString(block, at: &index)
                let field = HeaderField(name: name, value: value)
                table.insert(field, nameOctets: nameOctets, valueOctets: valueOctets)
                append(field, size: nameOctets + valueOctets + 32, to: &result, limit: headerListSizeMax)
            } else {
                // RFC 7541 §6.2.2 and §6.2.3: literal without indexing, or never indexed.
                let nameIndex = try HPACKInteger.decode(block, at: &index, prefixBits: 4)
                if result.isOverLimit {
                    let nameOctets = nameIndex == 0 ? try skipString(block, at: &index) : try lookup(nameIndex).nameOctets
                    let valueOctets = try skipString(block, at: &index)
                    result.headerListSize += nameOctets + valueOctets + 32
                } else {
                    let (name, nameOctets) = try literalName(block, at: &index, nameIndex: nameIndex)
                    let (value, valueOctets) = try readString(block, at: &index)
                    append(HeaderField(name: name, value: value), size: nameOctets + valueOctets + 32, to: &result, limit: headerListSizeMax)
                }
            }
        }
        return result
    }

    private func append(_ field: HeaderField, size: Int, to result: inout DecodedBlock, limit: Int) {
        result.headerListSize += size
        if result.isOverLimit { return }
        if result.headerListSize > limit {
            result.isOverLimit = true
            return
        }
        result.fields.append(field)
    }

    /// The entry at a combined index (RFC 7541 §2.3.3): static 1–61, then dynamic, newest first.
    private func lookup(_ index: Int) throws(HPACKError) -> HPACKDynamicTable.Entry {
        if index >= 1, index <= HPACKStaticTable.count {
            let field = HPACKStaticTable.entries[index - 1]
            let nameOctets = field.name.utf8.count
            return HPACKDynamicTable.Entry(field: field, nameOctets: nameOctets, size: nameOctets + field.value.utf8.count + 32)
        }
        if let entry = table.entry(at: index - HPACKStaticTable.count) { return entry }
        throw .indexOutOfRange(index)
    }

    /// A literal's name: a string when `nameIndex` is 0, else a table entry's name.
    private mutating func literalName(_ block: UnsafeRawBufferPointer, at index: inout Int, nameIndex: Int) throws(HPACKError) -> (String, Int) {
        if nameIndex == 0 { return try readString(block, at: &index) }
        let entry = try lookup(nameIndex)
        return (entry.field.name, entry.nameOctets)
    }

    /// RFC 7541 §5.2: a string literal, Huffman-coded or not; returns it and its decoded octets.
    private mutating func readString(_ block: UnsafeRawBufferPointer, at index: inout Int) throws(HPACKError) -> (String, Int) {
        let (raw, huffman) = try stringLiteral(block, at: &index)
        let length = raw.count
        let remembered = length >= Self.recentLiteralOctetsMin && length <= Self.recentLiteralOctetsMax
        if remembered, let found = recentLiteral(raw, huffman: huffman) { return found }
        let decoded: (String, Int)
        if huffman {
            try decodeHuffman(raw)
            decoded = (String(decoding: scratch, as: UTF8.self), scratch.count)
        } else {
            decoded = (String(decoding: raw, as: UTF8.self), length)
        }
        if remembered {
            let entry = RecentLiteral(encoded: Array(raw), huffman: huffman, value: decoded.0, octets: decoded.1)
            if recentLiterals.count < Self.recentLiteralsMax {
                recentLiterals.append(entry)
            } else {
                recentLiterals[recentLiteralsNext] = entry
                recentLiteralsNext = (recentLiteralsNext + 1) % Self.recentLiteralsMax
            }
        }
        return decoded
    }

    private func recentLiteral(_ raw: UnsafeRawBufferPointer, huffman: Bool) -> (String, Int)? {
        for entry in recentLiterals where entry.huffman == huffman && entry.encoded.count == raw.count {
            let equal = entry.encoded.withUnsafeBytes { $0.elementsEqual(raw) }
            if equal { return (entry.value, entry.octets) }
        }
        return nil
    }

    /// Steps over a string literal that will not be kept, returning its decoded octets. A Huffman
    /// string is still checked, since an invalid one is a COMPRESSION_ERROR wherever it appears.
    private mutating func skipString(_ block: UnsafeRawBufferPointer, at index: inout Int) throws(HPACKError) -> Int {
        let (raw, huffman) = try stringLiteral(block, at: &index)
        if !huffman { return raw.count }
        try decodeHuffman(raw)
        return scratch.count
    }

    /// RFC 7541 §5.2: the octets of the string literal at `index` as sent, and whether they are
    /// Huffman-coded; moves `index` past it.
    private func stringLiteral(_ block: UnsafeRawBufferPointer, at index: inout Int) throws(HPACKError) -> (UnsafeRawBufferPointer, huffman: Bool) {
        let start = index
        let length = try HPACKInteger.decode(block, at: &index, prefixBits: 7)
        guard length <= block.count - index else { throw .truncated }
        let raw = UnsafeRawBufferPointer(rebasing: block[index..<index + length])
        index += length
        return (raw, block[start] & 0x80 != 0)
    }

    /// Decodes Huffman-coded octets into `scratch`.
    private mutating func decodeHuffman(_ raw: UnsafeRawBufferPointer) throws(HPACKError) {
        scratch.removeAll(keepingCapacity: true)
        guard HPACKHuffman.decode(raw, into: &scratch) else { throw .invalidHuffman }
    }
}
