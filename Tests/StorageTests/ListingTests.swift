import Foundation
import Reservations
import Storage
import Testing

/// Listing a caller's reservations (API.md, "Listing and extending holds") across the two places a
/// reservation can be: not yet copied into `reservations_by_user`, and copied.
@Suite struct ListingTests {
    private func listed(_ directory: String, _ user: String, limit: Int = 1_000) throws -> [String] {
        var ids: [String] = []
        var before: ListingPosition?
        let reader = try SQLiteInventoryReader(path: databasePath(directory))
        while true {
            let page = try reader.reservations(of: user, before: before, limit: 7)
            ids += page.map(\.reservation.id)
            guard page.count == 7, ids.count < limit else { return ids }
            before = page.last?.position
        }
    }

    @Test func listing_isCurrentBeforeAndAfterTheCopy_andAfterARestart() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            let configure: (inout Writer.Configuration) -> Void = {
                $0.clock = clock
                $0.maxIdleWaitMilliseconds = 20
            }
            var alice: [String] = []
            var bob: [String] = []
            try withWriter(directory, configure: configure) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_l", seats: [100])).status == 201)
                for n in 0..<40 {
                    let user = n % 4 == 0 ? "bob" : "alice"
                    let id = try heldReservation(hold(writer, "evt_l", user: user, quantity: 1)).id
                    if user == "bob" { bob.append(id) } else { alice.append(id) }
                }
                let watcher = try openTestConnection(directory)
                // Nothing copied yet: the listing reads the newest reservations directly.
                #expect(try scalarInt(watcher, "SELECT count(*) FROM reservations_by_user") == 0)
                #expect(try listed(directory, "alice") == alice.reversed())
                #expect(try listed(directory, "bob") == bob.reversed())
                #expect(try listed(directory, "carol").isEmpty)

                // A second later the idle writer copies them, and the listing reads the copy.
                clock.advance(byMilliseconds: 1_000)
                #expect(eventually { (try? scalarInt(watcher, "SELECT count(*) FROM reservations_by_user")) == 40 })
                #expect(try scalarInt(watcher, "SELECT value FROM server_state WHERE name = 'listing_copied_through'") == 40)
                // Newer holds sit above the copy; both parts page together without gaps.
                for _ in 0..<5 { alice.append(try heldReservation(hold(writer, "evt_l", user: "alice", quantity: 1)).id) }
                #expect(try listed(directory, "alice") == alice.reversed())
            }
            try withWriter(directory, configure: configure) { (writer: Writer) throws in
                #expect(try listed(directory, "alice") == alice.reversed())
                #expect(try listed(directory, "bob") == bob.reversed())
                _ = writer
            }
            // The restart copied what was left.
            #expect(try scalarInt(try openTestConnection(directory), "SELECT count(*) FROM reservations_by_user") == 45)
        }
    }
}
