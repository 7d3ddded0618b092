import ArgumentParser
@testable import FlowstatePod
import Testing

/// `--otlp-endpoint` / `FLOWSTATE_OTLP_ENDPOINT`: unset exports nothing; a collector's URL gets
/// `/v1/traces`; anything else is refused naming the flag.
@Suite struct TraceExportTests {
    @Test func withNeitherFlagNorVariableNothingIsExported() throws {
        let settings = try PodSettings.parse([])
        #expect(try settings.traceExport(serviceName: "orders", environment: [:]) == nil)
        #expect(try settings.traceExport(serviceName: "orders", environment: ["FLOWSTATE_OTLP_ENDPOINT": ""]) == nil)
    }

    @Test func theFlagOrElseTheVariableNamesTheCollectorAndTracesGoToItsTracesPath() throws {
        let flag = try PodSettings.parse(["--otlp-endpoint", "http://collector:4318/"])
        let fromFlag = try flag.traceExport(serviceName: "orders", environment: ["FLOWSTATE_OTLP_ENDPOINT": "http://other:4318"])
        #expect(fromFlag == TraceExport(tracesURL: "http://collector:4318/v1/traces", serviceName: "orders"))
        let fromVariable = try PodSettings.parse([])
            .traceExport(serviceName: "orders", environment: ["FLOWSTATE_OTLP_ENDPOINT": "https://collector.example/v1/traces"])
        #expect(fromVariable?.tracesURL == "https://collector.example/v1/traces")
    }

    @Test func anEndpointThatIsNotAnHTTPURLIsRefusedNamingTheFlag() throws {
        for bad in ["collector:4318", "grpc://collector:4317", "http://", "not a url"] {
            let settings = try PodSettings.parse(["--otlp-endpoint", bad])
            #expect {
                try settings.traceExport(serviceName: "orders", environment: [:])
            } throws: { error in
                "\(error)".hasPrefix("--otlp-endpoint: '\(bad)'")
            }
        }
    }
}
