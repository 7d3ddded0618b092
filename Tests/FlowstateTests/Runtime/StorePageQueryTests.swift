import Flowstate
import Foundation
import Testing

/// Range and prefix queries over a running application's stores: bounded pages, in key order,
/// across every local task, followed by cursor to the end without a gap or a repeat.
@Suite struct StorePageQueryTests {
    @Test func pagesWalkEveryEntryOfEveryTaskOnceInKeyOrder() async throws {
        let harness = try EmbeddedClusterHarness(topics: ["words": 4, "word-counts": 4])
        var config = harness.config(applicationID: "pages-\(UUID().uuidString.prefix(6))")
        config.threads = 2
        let app = FlowstateApplication(topology: try countingTopology(), config: config, embeddedCluster: harness.cluster)
        let words = (0..<40).map { "w\(String(format: "%02d", $0))" } + ["apple", "apricot", "banana"]
        try await withRunningApplication(app) {
            try await harness.produce(topic: "words", records: words.map { ($0, $0) } + [("apple", "apple")])
            _ = try await harness.drain(topic: "word-counts", partitions: 4, count: words.count + 1)

            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await app.queryStorePage(name: "counts", request: StorePageRequest(after: cursor, limit: 7))
                #expect(page.entries.count <= 7)
                seen += page.entries.map(\.key)
                cursor = page.next
                pages += 1
            } while cursor != nil && pages < 50
            #expect(seen == words.sorted())
            #expect(pages == 7)  // 43 entries: six full pages and one of one

            let prefixed = try await app.queryStorePage(name: "counts", request: StorePageRequest(prefix: "ap"))
            #expect(prefixed.entries.map(\.key) == ["apple", "apricot"])
            #expect(prefixed.entries.first.map { String(decoding: $0.json, as: UTF8.self) } == "2")
            #expect(prefixed.next == nil)

            let ranged = try await app.queryStorePage(name: "counts", request: StorePageRequest(from: "w10", to: "w13"))
            #expect(ranged.entries.map(\.key) == ["w10", "w11", "w12"])

            await #expect(throws: FlowstateError.self) {
                _ = try await app.queryStorePage(name: "counts", request: StorePageRequest(limit: 0))
            }
            await #expect(throws: FlowstateError.self) {
                _ = try await app.queryStorePage(name: "nope", request: StorePageRequest())
            }
        }
    }
}
