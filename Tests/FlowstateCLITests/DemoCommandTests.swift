import Foundation
import Testing

@Suite(.timeLimit(.minutes(2)))
struct DemoCommandTests {
    @Test func demoRoundTripsEveryRecordThroughTheEmbeddedCluster() throws {
        let demo = try FlowstateProcess(["demo", "--records", "500", "--partitions", "2"])
        let status = demo.waitForExit(timeout: .seconds(90))
        let output = demo.remainingOutput()
        #expect(status == 0, "stderr: \(demo.errorOutput())")
        #expect(output.contains("bootstrap.servers="))
        #expect(output.contains("records produced             │          500"))
        #expect(output.contains("records consumed             │          501"), "500 plain + 1 transactional: \(output)")
        #expect(output.contains("in order per partition       │          yes"))
    }
}
