import Bytes
import Crypto
import Reservations

/// Opaque, tamper-evident cursors for the reservation listing.
///
/// A cursor carries where the previous page stopped, bound to the listing it came from (caller and
/// filters) and signed with a server secret: HMAC-SHA256 over the content, truncated to 128 bits,
/// base64url. A cursor that was edited, made up, or taken to another caller or other filters is
/// refused as malformed, never served.
struct ListingCursor {
    /// Version of the layout, so a later layout can still read (or cleanly refuse) this one.
    static let version: UInt8 = 1
    static let macBytes = 16
    /// version, position (8), listing digest (8).
    static let contentBytes = 17

    let key: [UInt8]

    /// The cursor for continuing after `position` in the listing `binding` identifies.
    func encode(_ position: ListingPosition, binding: [UInt8]) -> String {
        var content: [UInt8] = [Self.version]
        content.reserveCapacity(Self.contentBytes + Self.macBytes)
        for shift in stride(from: 56, through: 0, by: -8) {
            content.append(UInt8(truncatingIfNeeded: UInt64(bitPattern: position.value) >> UInt64(shift)))
        }
        content += binding.prefix(8)
        let mac = HMACSHA256.authenticate(key: key, message: content).prefix(Self.macBytes)
        return Base64.encode(content + mac, url: true, padded: false)
    }

    /// The position `text` continues after, or nil unless it is a cursor this server made for the
    /// listing `binding` identifies.
    func decode(_ text: String, binding: [UInt8]) -> ListingPosition? {
        guard text.utf8.count <= 64, let bytes = Base64.decode(text),
            bytes.count == Self.contentBytes + Self.macBytes, bytes[0] == Self.version
        else { return nil }
        let content = Array(bytes[0..<Self.contentBytes])
        let mac = HMACSHA256.authenticate(key: key, message: content).prefix(Self.macBytes)
        guard constantTimeEquals(Array(mac), Array(bytes[Self.contentBytes...])),
            constantTimeEquals(Array(content[9..<17]), Array(binding.prefix(8)))
        else { return nil }
        let value = content[1..<9].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return ListingPosition(Int64(bitPattern: value))
    }

    /// What identifies a listing: its caller and filters (the page size may change between pages).
    static func binding(caller: Caller, status: ReservationStatus?, eventID: EventID?) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(caller.userID)
        hasher.update([0])
        hasher.update(status?.rawValue ?? "")
        hasher.update([0])
        hasher.update(eventID ?? "")
        return hasher.finalize()
    }
}
