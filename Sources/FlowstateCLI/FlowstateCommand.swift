import ArgumentParser

/// The `flowstate` command: runs topologies as pods, hosts a development broker, runs the demo.
@main
struct FlowstateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flowstate",
        abstract: "Kafka-native stream processing for Swift: state machines and sagas with exactly-once state.",
        subcommands: [DemoCommand.self, DevBrokerCommand.self, RunCommand.self, DescribeCommand.self, SagaCommands.self,
                      StatementCommands.self, SimulateCommand.self]
    )
}
