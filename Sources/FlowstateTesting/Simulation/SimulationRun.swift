import Flowstate
import FlowstateKafka
import Foundation

/// Executes one ``SimulationPlan``: the broker, the instances and the schedule, then settles
/// the world and checks every ``SimulationProperty``.
final class SimulationRun {
    let scenario: any SimulationScenario
    let plan: SimulationPlan
    let parameters: Simulation.Parameters
    let root: String
    let clock = SimulatedClock()
    let kafka: SimulatedKafka
    private var topology: Topology!
    private var partitionCounts: [String: Int] = [:]
    private var instances: [SimulatedInstance] = []
    private var inputProducer: SimulatedProducer!
    private var produced: [KafkaConsumerRecord] = []
    private var events: [String] = []
    private var statistics = SimulationStatistics()
    /// A violation found inside a nested run (a pause), raised when the outer turn ends.
    private var pendingViolation: SimulationViolation?
    private var pausedInstance: Int?
    private var zombieWatch: (instance: Int, transactionalID: String, pausedAt: Int64, commits: Int)?
    /// Per instance, the counters at the last local-state check.
    private var lastChecked: [Int: String] = [:]

    init(scenario: any SimulationScenario, plan: SimulationPlan, parameters: Simulation.Parameters) {
        self.scenario = scenario
        self.plan = plan
        self.parameters = parameters
        root = FileManager.default.temporaryDirectory.appendingPathComponent("flowstate-sim-\(plan.seed)-\(UUID().uuidString)").path
        kafka = SimulatedKafka(clock: clock, random: SimulationRandom(seed: plan.seed).derived(1),
                               sessionTimeout: parameters.sessionTimeout, transactionTimeout: parameters.transactionTimeout)
    }

    func execute() -> SimulationOutcome {
        var violation: SimulationViolation?
        do {
            try setUp()
            for action in plan.actions {
                try perform(action)
            }
            try settle()
            try checkFinalProperties()
        } catch let found as SimulationViolation {
            violation = found
        } catch {
            violation = SimulationViolation(.convergence, "the harness failed: \(error)")
        }
        for instance in instances {
            for (point, count) in instance.faults.crashes { statistics.crashes[point.rawValue, default: 0] += count }
            for (point, count) in instance.faults.pauses { statistics.pauses[point.rawValue, default: 0] += count }
            instance.crashed()
        }
        for (_, outcome) in kafka.transactionOutcomes {
            if outcome == .committed { statistics.transactionsCommitted += 1 }
            if outcome == .aborted { statistics.transactionsAborted += 1 }
        }
        try? FileManager.default.removeItem(atPath: root)
        return SimulationOutcome(plan: plan, violation: violation, events: events, statistics: statistics)
    }

    // MARK: - Set-up

    private func setUp() throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for (topic, partitions) in scenario.topics.sorted(by: { $0.key < $1.key }) {
            try kafka.createTopic(topic, partitions: partitions)
        }
        topology = try scenario.makeTopology()
        instances = (0..<plan.instances).map { number in
            let faults = SimulatedFaults(instance: number)
            return SimulatedInstance(number: number, root: root, faults: faults)
        }
        for instance in instances {
            instance.faults.pause = { [unowned self] number, milliseconds in pause(number, for: milliseconds) }
        }
        let admin = SimulatedClients(kafka: kafka, process: SimulatedProcess(instance: -1))
        partitionCounts = try TopicPreparation.prepare(topology: topology,
                                                       config: instances[0].config(scenario, sessionTimeout: kafka.sessionTimeout),
                                                       clients: admin)
        inputProducer = SimulatedProducer(kafka: kafka, transactionalID: nil, process: SimulatedProcess(instance: -1),
                                          retryChance: 0.05)
        try inputProducer.initTransactions()
        for instance in instances { try start(instance, freshState: false) }
    }

    // MARK: - Actions

    private func perform(_ action: SimulationAction) throws {
        switch action {
        case .produce(let inputs):
            for input in inputs {
                try inputProducer.send(KafkaProducerRecord(topic: input.topic, key: input.key, value: input.value))
                let count = Int32(partitionCounts[input.topic] ?? 1)
                produced.append(KafkaConsumerRecord(
                    topic: input.topic, partition: KafkaPartitioner.partition(forKey: input.key, partitionCount: count),
                    offset: Int64(produced.count), key: input.key, value: input.value))
            }
            statistics.inputs += inputs.count
        case .advance(let milliseconds):
            kafka.advance(by: milliseconds)
        case .step(let number, let turns):
            for _ in 0..<turns where instances[number].status == .running { try turn(instances[number]) }
        case .arm(let number, let point, let occurrence, let fault):
            guard instances[number].status == .running else { return }
            instances[number].faults.arm(point, occurrence: occurrence, fault: fault)
            events.append(action.description)
        case .restart(let number, let freshState):
            guard instances[number].status != .running else { return }
            if freshState { statistics.freshRestarts += 1 } else { statistics.restarts += 1 }
            events.append(action.description)
            try start(instances[number], freshState: freshState)
        case .stop(let number):
            guard instances[number].status == .running else { return }
            statistics.stops += 1
            events.append(action.description)
            do {
                try instances[number].stop()
            } catch {
                handle(error, of: instances[number])
            }
            try raisePending()
            try checkZombie(instances[number])
        case .compact:
            kafka.compactAll()
            statistics.compactions += 1
        case .deleteConsumedInput:
            let committed = kafka.committedOffsets(group: scenario.applicationID)
            for (partition, offset) in committed.sorted(by: { $0.key < $1.key }) where topology.sourceTopics.contains(partition.topic) {
                kafka.deleteRecords(partition, before: offset)
            }
        }
    }

    private func start(_ instance: SimulatedInstance, freshState: Bool) throws {
        if zombieWatch?.instance == instance.number { zombieWatch = nil }  // that incarnation is gone
        do {
            try instance.start(scenario, topology: topology, kafka: kafka, partitionCounts: partitionCounts, root: root,
                               freshState: freshState)
        } catch {
            handle(error, of: instance)
        }
        try raisePending()
    }

    /// One turn of an instance's loop, then the checks that hold after every step.
    private func turn(_ instance: SimulatedInstance) throws {
        guard let driver = instance.driver else { return }
        statistics.turns += 1
        do {
            try driver.step()
        } catch {
            handle(error, of: instance)
        }
        try raisePending()
        try checkZombie(instance)
        if instance.status == .running { try checkLocalState(instance) }
        if instance.status != .running, zombieWatch?.instance == instance.number { zombieWatch = nil }
    }

    private func handle(_ error: any Error, of instance: SimulatedInstance) {
        if instance.process.status == .crashed || error is SimulatedCrash {
            events.append("instance \(instance.number) crashed (\(error))")
            instance.crashed()
        } else {
            record(failure: error, of: instance)
        }
    }

    private func record(failure error: any Error, of instance: SimulatedInstance) {
        events.append("instance \(instance.number) failed: \(error)")
        statistics.failures.append("\(error)")
        instance.failed(error)
    }

    private func raisePending() throws {
        if let pendingViolation {
            self.pendingViolation = nil
            throw pendingViolation
        }
    }

    /// The instance stops (no heartbeats) while every other running instance keeps going.
    private func pause(_ number: Int, for milliseconds: Int64) {
        guard pausedInstance == nil else { return }
        pausedInstance = number
        let instance = instances[number]
        let (groupInstanceID, transactionalID) = instance.threadIDs(applicationID: scenario.applicationID)
        let wasMember = isMember(groupInstanceID)
        instance.process.status = .paused
        let start = clock.now
        events.append("instance \(number) paused for \(milliseconds) ms")
        while clock.now < start + milliseconds, pendingViolation == nil {
            kafka.advance(by: 200)
            for other in instances where other.number != number && other.status == .running {
                do {
                    try turn(other)
                } catch let violation as SimulationViolation {
                    pendingViolation = violation
                    break
                } catch {
                    pendingViolation = SimulationViolation(.convergence, "the harness failed: \(error)")
                }
            }
        }
        instance.process.status = .running
        pausedInstance = nil
        if wasMember, !isMember(groupInstanceID) {
            statistics.zombies += 1
            events.append("instance \(number) woke up as a zombie")
            zombieWatch = (number, transactionalID, start, kafka.commitLog.count)
        }
    }

    private func isMember(_ groupInstanceID: String) -> Bool {
        kafka.group(scenario.applicationID).members.values.contains { $0.instanceID == groupInstanceID }
    }

    // MARK: - Checks after every turn

    private func checkZombie(_ instance: SimulatedInstance) throws {
        guard let watch = zombieWatch, watch.instance == instance.number else { return }
        zombieWatch = nil
        for commit in kafka.commitLog[watch.commits...] where commit.transactionalID == watch.transactionalID
            && commit.lastWriteAt > watch.pausedAt {
            throw SimulationViolation(.zombieCommitsNothing, "instance \(instance.number) (\(watch.transactionalID)) woke up "
                                      + "outside the group and committed a transaction it wrote to at \(commit.lastWriteAt) ms")
        }
    }

    /// Every persistent logged store holds exactly the committed changelog up to its checkpoint.
    private func checkLocalState(_ instance: SimulatedInstance) throws {
        guard let driver = instance.driver else { return }
        let counters = driver.counters
        let signature = "\(counters.commits)/\(counters.restoredRecords)/\(counters.aborts)/\(driver.assignedTasks)"
        guard lastChecked[instance.number] != signature else { return }
        lastChecked[instance.number] = signature
        for id in driver.assignedTasks {
            guard let stores = try driver.committedState(of: id) else { continue }
            for (name, store) in stores.sorted(by: { $0.key < $1.key }) where store.isPersistent {
                guard let topic = store.changelogTopic else { continue }
                let checkpoint = store.changelogCheckpoint ?? 0
                let partition = KafkaTopicPartition(topic: topic, partition: id.partition)
                let expected = fold(kafka.committedRecords(partition, until: checkpoint))
                if expected != store.entries, !isCommittedProgress(store.entries, over: expected, partition, from: checkpoint) {
                    throw SimulationViolation(.noUncommittedState, "instance \(instance.number) task \(id) store \(name): "
                                              + "RocksDB differs from the committed changelog records below its checkpoint \(checkpoint): "
                                              + difference(expected: expected, actual: store.entries))
                }
            }
        }
    }

    /// Whether every key where `entries` differ from `expected` (the committed state at the
    /// checkpoint) holds the value of a committed changelog record at or past the checkpoint.
    ///
    /// Restoration may apply committed records past its checkpoint: when it skips a record
    /// (its source offset is past the committed offsets it was given — stale ones, for a
    /// zombie) its checkpoint stays before that record, yet records of the task's other source
    /// partitions after it are applied. A later restoration from the checkpoint re-applies
    /// them in order, so the state stays correct; only uncommitted writes are violations.
    private func isCommittedProgress(_ entries: [[UInt8]: [UInt8]], over expected: [[UInt8]: [UInt8]],
                                     _ partition: KafkaTopicPartition, from checkpoint: Int64) -> Bool {
        guard let end = kafka.offsets(of: partition)?.end else { return false }
        var later: [[UInt8]: [[UInt8]?]] = [:]
        for record in kafka.committedRecords(partition, until: end) where record.offset >= checkpoint {
            later[record.key ?? [], default: []].append(record.value)
        }
        for key in Set(entries.keys).union(expected.keys) where entries[key] != expected[key] {
            guard let values = later[key], values.contains(where: { $0 == entries[key] }) else { return false }
        }
        return true
    }

    // MARK: - Settling and final checks

    /// Faults stop; every instance runs until all input is committed and no transaction is open,
    /// for the scenario's quiet period.
    private func settle() throws {
        for instance in instances { instance.faults.isEnabled = false }
        var settledRounds = 0
        for _ in 0..<parameters.settleRounds {
            kafka.advance(by: 100)
            for instance in instances {
                if instance.status == .running {
                    try turn(instance)
                } else {
                    events.append("settle: restart instance \(instance.number)")
                    try start(instance, freshState: false)
                }
            }
            settledRounds = isSettled() ? settledRounds + 1 : 0
            if settledRounds >= max(3, scenario.quietPeriod / 100) { return }
        }
        throw SimulationViolation(.convergence, "not settled after \(parameters.settleRounds) rounds: " + settleReport())
    }

    private var allTasks: [TaskID] { topology.taskIDs(partitionCounts: partitionCounts) }

    private func isSettled() -> Bool {
        guard !kafka.hasOpenTransactions, !kafka.group(scenario.applicationID).rebalancing else { return false }
        guard instances.allSatisfy({ $0.status == .running && $0.driver?.state == .running }) else { return false }
        let owned = instances.flatMap { $0.driver?.assignedTasks ?? [] }
        guard owned.sorted() == allTasks.sorted() else { return false }
        let committed = kafka.committedOffsets(group: scenario.applicationID)
        for topic in topology.sourceTopics {
            for partition in 0..<(partitionCounts[topic] ?? 0) {
                let topicPartition = KafkaTopicPartition(topic: topic, partition: Int32(partition))
                // Every record consumed (a transactional topic ends with a marker the committed offset never passes).
                guard !kafka.hasCommittedRecord(topicPartition, atOrAfter: committed[topicPartition] ?? 0) else { return false }
            }
        }
        return true
    }

    private func settleReport() -> String {
        let states = instances.map { "\($0.number): \($0.status.rawValue)/\($0.driver?.state.rawValue ?? "-") \($0.driver?.assignedTasks ?? [])" }
        let committed = kafka.committedOffsets(group: scenario.applicationID).sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)/\(kafka.offsets(of: $0.key)?.end ?? -1)" }
        return "instances [\(states.joined(separator: "; "))], open transactions: \(kafka.hasOpenTransactions), "
            + "committed [\(committed.joined(separator: ", "))]"
    }

    private func checkFinalProperties() throws {
        let expectation = try scenario.expectation(for: produced)
        // Outputs: per key, exactly the model's values, in order.
        for topic in scenario.checkedOutputTopics {
            var actual: [[UInt8]: [[UInt8]?]] = [:]
            for record in kafka.readCommitted(topic) { actual[record.key ?? [], default: []].append(record.value) }
            let expected = expectation.outputs[topic] ?? [:]
            for key in Set(actual.keys).union(expected.keys).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                let got = actual[key] ?? [], want = expected[key] ?? []
                guard got != want else { continue }
                let first = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
                throw SimulationViolation(.exactlyOnceOutputs, "\(topic) key \(text(key)): expected \(want.count) record(s), "
                                          + "read_committed shows \(got.count); first difference at #\(first): "
                                          + "expected \(want.dropFirst(first).first.map { text($0) } ?? "nothing"), "
                                          + "got \(got.dropFirst(first).first.map { text($0) } ?? "nothing")")
            }
        }
        // Stores: every task owned once; the union equals the model.
        var live: [TaskID: [String: StoreSnapshot]] = [:]
        for instance in instances {
            guard let driver = instance.driver else { continue }
            for id in driver.assignedTasks { live[id] = try driver.committedState(of: id) }
        }
        var union: [String: [[UInt8]: [UInt8]]] = [:]
        for (_, stores) in live { for (name, store) in stores { union[name, default: [:]].merge(store.entries) { $1 } } }
        for (name, expected) in expectation.stores.sorted(by: { $0.key < $1.key }) where union[name, default: [:]] != expected {
            throw SimulationViolation(.storesMatchModel, "store \(name): " + difference(expected: expected, actual: union[name] ?? [:]))
        }
        // Restoration from the changelog (a fresh state directory) gives the live state.
        let consumer = SimulatedConsumer(kafka: kafka, groupID: "sim-audit", instanceID: nil,
                                         process: SimulatedProcess(instance: -1))
        for (id, stores) in live.sorted(by: { $0.key < $1.key }) {
            var config = instances[0].config(scenario, sessionTimeout: kafka.sessionTimeout)
            config.stateDirectory = "\(root)/audit-\(id)"
            let restored = try StreamThreadDriver.restoreFromChangelog(id, topology: topology, config: config,
                                                                      partitionCounts: partitionCounts, consumer: consumer)
            for (name, store) in stores.sorted(by: { $0.key < $1.key }) where store.changelogTopic != nil {
                let entries = restored[name]?.entries ?? [:]
                if entries != store.entries {
                    throw SimulationViolation(.restorationMatchesLiveState, "task \(id) store \(name): "
                                              + difference(expected: store.entries, actual: entries))
                }
            }
        }
        // The scenario's own properties.
        let violations = try scenario.verify(SimulationWorld(inputs: produced, stores: union, kafka: kafka))
        if var first = violations.first {
            if violations.count > 1 { first.detail += " (and \(violations.count - 1) more violation(s))" }
            throw first
        }
    }

    // MARK: - Helpers

    private func fold(_ records: [KafkaConsumerRecord]) -> [[UInt8]: [UInt8]] {
        var state: [[UInt8]: [UInt8]] = [:]
        for record in records { state[record.key ?? []] = record.value }
        return state
    }

    private func difference(expected: [[UInt8]: [UInt8]], actual: [[UInt8]: [UInt8]]) -> String {
        let keys = Set(expected.keys).union(actual.keys).sorted { $0.lexicographicallyPrecedes($1) }
        let lines = keys.filter { expected[$0] != actual[$0] }.prefix(4).map { key in
            "\(text(key)): expected \(expected[key].map(text) ?? "absent"), found \(actual[key].map(text) ?? "absent")"
        }
        return "\(keys.filter { expected[$0] != actual[$0] }.count) key(s) differ (" + lines.joined(separator: "; ") + ")"
    }

    private func text(_ bytes: [UInt8]?) -> String {
        guard let bytes else { return "null" }
        if let string = String(bytes: bytes, encoding: .utf8), string.allSatisfy({ !$0.isASCII || $0.isLetter || $0.isNumber || $0.isPunctuation || $0 == " " }) {
            return "\"\(string)\""
        }
        return "0x" + bytes.map { String($0, radix: 16) }.joined()
    }
}
