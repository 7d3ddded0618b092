extension StateMachine {
    /// The machine as a Mermaid state diagram: automatic transitions are labelled with their
    /// guard, manual ones with their command; terminal statuses lead to `[*]`.
    public func mermaid() -> String {
        func id(_ status: Entity.Status) -> String { String(status.rawValue.map { $0 == "-" ? "_" : $0 }) }
        var lines = ["stateDiagram-v2", "    [*] --> \(id(initialStatus))"]
        for status in Entity.Status.allCases where id(status) != status.rawValue {
            lines.append("    state \"\(status.rawValue)\" as \(id(status))")
        }
        for transition in transitions {
            var label: [String] = []
            if case .command(let command) = transition.trigger { label.append("command \(command)") }
            if case .timeout(let duration) = transition.trigger { label.append("after \(duration)") }
            if let condition = transition.condition { label.append("[\(condition.label)]") }
            lines.append("    \(id(transition.from)) --> \(id(transition.to))"
                         + (label.isEmpty ? "" : " : " + label.joined(separator: " ")))
        }
        for status in terminalStatuses { lines.append("    \(id(status)) --> [*]") }
        return lines.joined(separator: "\n") + "\n"
    }
}
