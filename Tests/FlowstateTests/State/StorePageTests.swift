@testable import Flowstate
import Testing

/// Pages of disjoint key sets (tasks, pods) merge into one page that skips nothing.
@Suite struct StorePageTests {
    private func page(_ keys: [String], scannedTo: String? = nil) -> StoreBytePage {
        StoreBytePage(entries: keys.map { StoreBytePage.Entry(key: Array($0.utf8), entry: StoreEntry(key: $0, json: [])) },
                      scannedTo: scannedTo.map { Array($0.utf8) })
    }

    @Test func completePagesMergeInKeyOrderUpToTheLimitAndGoOnAfterTheLastEntry() {
        let merged = StoreBytePage.merge([page(["a", "d"]), page(["b", "c", "e"])], limit: 3)
        #expect(merged.entries.map(\.entry.key) == ["a", "b", "c"])
        #expect(merged.scannedTo == Array("c".utf8))
        let rest = StoreBytePage.merge([page(["a", "d"]), page(["b", "c", "e"])], limit: 5)
        #expect(rest.entries.map(\.entry.key) == ["a", "b", "c", "d", "e"])
        #expect(rest.scannedTo == nil)  // nothing follows
    }

    @Test func aPageThatStoppedEarlyCutsTheMergeWhereItStopped() {
        // The second task examined up to "b" only (its budget): keys after "b" may exist there.
        let merged = StoreBytePage.merge([page(["a", "c", "d"]), page([], scannedTo: "b")], limit: 10)
        #expect(merged.entries.map(\.entry.key) == ["a"])
        #expect(merged.scannedTo == Array("b".utf8))
    }

    @Test func noPagesMakeAnEmptyLastPage() {
        let merged = StoreBytePage.merge([], limit: 10)
        #expect(merged.entries.isEmpty)
        #expect(merged.scannedTo == nil)
    }
}
