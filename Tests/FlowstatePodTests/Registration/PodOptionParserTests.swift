import ArgumentParser
import Flowstate
@testable import FlowstatePod
import Testing

/// A registration's own options on `run`: flags, their environment variables, and clear
/// errors naming the flag.
@Suite struct PodOptionParserTests {
    let limit = PodOption.integer("limit", environment: "TEST_LIMIT", help: "a limit", range: 0...Int.max)
    let latency = PodOption.milliseconds("latency", environment: "TEST_LATENCY_MS", help: "a latency")

    func registrations() throws -> [PodRegistration] {
        let builder = TopologyBuilder()
        builder.addSource("in", topics: ["in"], key: .string, value: .string).to(topic: "out", key: .string, value: .string)
        let topology = try builder.build()
        return [
            .topology("plain", summary: "no options", topics: ["in"]) { _ in topology },
            .topology("limited", summary: "a limit and a latency", options: [limit, latency], topics: ["in"]) { _ in topology },
            .topology("slow", summary: "a latency", options: [latency], topics: ["in"]) { _ in topology },
        ]
    }

    func values(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> PodOptionValues {
        let all = try registrations()
        let registration = try #require(all.first { $0.name == name })
        return try PodOptionParser(registration: registration, others: all).values(arguments: arguments, environment: environment)
    }

    func message(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        do {
            _ = try values(name, arguments, environment: environment)
        } catch let error as ValidationError {
            return error.message
        }
        Issue.record("no error for \(arguments)")
        return ""
    }

    @Test func flagsInBothFormsAndEnvironmentVariablesGiveTheValuesAndFlagsWin() throws {
        let given = try values("limited", ["--limit", "7", "--latency=20"])
        #expect(given.integer("limit") == 7 && given.duration("latency") == .milliseconds(20))
        let environment = try values("limited", [], environment: ["TEST_LIMIT": "9", "TEST_LATENCY_MS": ""])
        #expect(environment.integer("limit") == 9 && environment["latency"] == nil, "an empty variable is not set")
        #expect(try values("limited", ["--limit", "1"], environment: ["TEST_LIMIT": "9"]).integer("limit") == 1)
        #expect(try values("plain", [], environment: ["TEST_LIMIT": "9"]).values.isEmpty,
                "a variable meant for another topology is ignored")
    }

    @Test func badValuesUnknownAndMisplacedFlagsNameTheFlag() throws {
        #expect(try message("limited", ["--limit", "-1"]) == "--limit: '-1' is not a whole number ≥ 0")
        #expect(try message("limited", [], environment: ["TEST_LATENCY_MS": "soon"])
                == "--latency: 'soon' is not a non-negative number of milliseconds")
        #expect(try message("limited", ["--limit"]) == "--limit: a value is required")
        #expect(try message("plain", ["--limit", "3"]) == "--limit applies to the limited topology only, not plain")
        #expect(try message("plain", ["--latency", "3"]) == "--latency applies to the limited and slow topologies only, not plain")
        #expect(try message("slow", ["--nope", "3"]) == "unknown option --nope for slow; its options: --latency")
        #expect(try message("slow", ["stray"]) == "unexpected argument 'stray' after the topology slow")
    }
}
