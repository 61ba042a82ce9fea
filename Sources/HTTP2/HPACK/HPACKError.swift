/// Why a header block could not be decoded; every case is a COMPRESSION_ERROR for the whole
/// connection (RFC 9113 §4.3), because the decoder's table can no longer match the encoder's.
public enum HPACKError: Error, Sendable, Equatable {
    /// The block ends inside a representation.
    case truncated
    /// An integer longer than the decoder accepts (RFC 7541 §5.1 leaves the limit to it).
    case integerTooLarge
    /// Index 0, or an index past the static and dynamic tables (RFC 7541 §2.3.3).
    case indexOutOfRange(Int)
    /// A Huffman string with padding longer than 7 bits, padding that is not the EOS prefix, or
    /// the EOS symbol itself (RFC 7541 §5.2).
    case invalidHuffman
    /// A dynamic table size update after the first field of a block (RFC 7541 §4.2).
    case sizeUpdateNotAtStart
    /// A dynamic table size update above the SETTINGS_HEADER_TABLE_SIZE in force (RFC 7541 §6.3).
    case sizeUpdateTooLarge(Int)
    /// The block does not start with the size update owed after SETTINGS_HEADER_TABLE_SIZE was
    /// lowered below the table's size (RFC 7541 §4.2).
    case sizeUpdateMissing
}
