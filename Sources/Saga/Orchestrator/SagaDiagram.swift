extension SagaDefinition {
    /// The saga as a Mermaid state diagram: the primary steps in order, and from each
    /// failure the compensations of the command steps before it, in reverse.
    public func mermaid() -> String {
        func id(_ step: SagaStep, undo: Bool = false) -> String {
            (undo ? "undo_" : "") + String(step.topicSuffix.map { $0 == "-" || $0 == "." ? "_" : $0 })
        }
        var lines = ["stateDiagram-v2", "    [*] --> \(id(steps[0]))"]
        for step in steps {
            lines.append("    state \"\(step.key) \(step.topicSuffix)\" as \(id(step))")
            if step.kind == .command { lines.append("    state \"\(step.compensationKey) \(step.topicSuffix)\" as \(id(step, undo: true))") }
        }
        lines.append("    state \"completed\" as completed\n    state \"compensated\" as compensated\n"
                     + "    state \"compensation failed\" as compensation_failed")
        for (index, step) in steps.enumerated() {
            lines.append("    \(id(step)) --> \(index + 1 < steps.count ? id(steps[index + 1]) : "completed") : success")
            let undone = steps[..<index].filter { $0.kind == .command }.reversed()
            lines.append("    \(id(step)) --> \(undone.first.map { id($0, undo: true) } ?? "compensated") : failure")
        }
        let commands = steps.filter { $0.kind == .command }
        for (index, step) in commands.enumerated() {
            lines.append("    \(id(step, undo: true)) --> \(index > 0 ? id(commands[index - 1], undo: true) : "compensated") : undone")
            lines.append("    \(id(step, undo: true)) --> compensation_failed : failure")
        }
        lines += ["    completed --> [*]", "    compensated --> [*]", "    compensation_failed --> [*]"]
        return lines.joined(separator: "\n") + "\n"
    }
}
