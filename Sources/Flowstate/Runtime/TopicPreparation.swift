import FlowstateKafka

/// Start-up checks of an application's topics and creation of its internal topics.
package enum TopicPreparation {
    /// Checks that source topics exist and are co-partitioned, creates the changelog and
    /// dead-letter topics, and checks sink topics exist.
    ///
    /// - Returns: Partition counts of every topic the topology touches.
    /// - Throws: ``FlowstateError`` `.configuration` naming what is missing or inconsistent.
    package static func prepare(topology: Topology, config: FlowstateConfig,
                                clients: any KafkaClientSupplier) throws -> [String: Int] {
        let admin = try clients.makeAdmin()
        let wanted = topology.sourceTopics + topology.sinkTopics
        var counts = try admin.partitionCounts(of: wanted)
        for topic in topology.sourceTopics where counts[topic] == nil {
            throw FlowstateError(.configuration, "source topic \(topic) does not exist; create it before starting",
                                 setting: "topology")
        }
        do {
            try topology.validateCoPartitioning(partitionCounts: counts, requireAll: true)
        } catch {
            throw FlowstateError(.configuration, error.message, setting: "topology")
        }
        var internalTopics: [KafkaNewTopic] = [KafkaNewTopic(name: config.deadLetterTopic, partitions: 1)]
        for subtopology in topology.subtopologies {
            let partitions = subtopology.sourceTopics.compactMap { counts[$0] }.max() ?? 1
            for store in subtopology.stores {
                guard let definition = topology.store(named: store), definition.logged else { continue }
                internalTopics.append(KafkaNewTopic(
                    name: Topology.changelogTopic(applicationID: config.applicationID, store: store),
                    partitions: partitions, configs: ["cleanup.policy": "compact"]))
            }
        }
        let existing = try admin.partitionCounts(of: internalTopics.map(\.name))
        for topic in internalTopics {
            if let count = existing[topic.name], topic.name != config.deadLetterTopic, count != topic.partitions {
                throw FlowstateError(.configuration, "changelog \(topic.name) has \(count) partitions, expected "
                                     + "\(topic.partitions) (the source partition count)", setting: "topology")
            }
        }
        try admin.createTopics(internalTopics.filter { existing[$0.name] == nil })
        counts.merge(try admin.partitionCounts(of: internalTopics.map(\.name))) { $1 }
        for topic in topology.sinkTopics where counts[topic] == nil {
            throw FlowstateError(.configuration, "output topic \(topic) does not exist; create it before starting",
                                 setting: "topology")
        }
        return counts
    }
}
