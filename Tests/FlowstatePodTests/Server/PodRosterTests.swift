import FlowstatePod
import Testing

@Suite struct PodRosterTests {
    private func announcement(_ instance: String, _ partitions: [Int32]) -> PodAnnouncement {
        PodAnnouncement(instanceID: instance, advertisedAddress: "\(instance):8080", partitions: ["words": partitions], ready: true)
    }

    @Test func theNewestClaimOfAPartitionWinsUntilItsPodIsRemoved() {
        var roster = PodRoster()
        roster.apply(instanceID: "pod-a", announcement: announcement("pod-a", [0, 1, 2, 3]), offset: 0)
        roster.apply(instanceID: "pod-b", announcement: announcement("pod-b", [2, 3]), offset: 1)
        #expect(roster.owner(ofPartition: 0, topics: ["words"])?.instanceID == "pod-a")
        #expect(roster.owner(ofPartition: 3, topics: ["words"])?.instanceID == "pod-b", "pod-a has not announced its loss yet")
        roster.apply(instanceID: "pod-a", announcement: announcement("pod-a", [0, 1]), offset: 2)
        #expect(roster.owner(ofPartition: 2, topics: ["words"])?.instanceID == "pod-b")
        roster.apply(instanceID: "pod-b", announcement: nil, offset: 3)
        #expect(roster.owner(ofPartition: 2, topics: ["words"]) == nil, "a tombstone removes the pod")
        #expect(roster.pods.map(\.instanceID) == ["pod-a"])
        #expect(roster.owner(ofPartition: 0, topics: ["other"]) == nil)
    }

    @Test func anOlderRecordDoesNotReplaceANewerAnnouncement() {
        var roster = PodRoster()
        roster.apply(instanceID: "pod-a", announcement: announcement("pod-a", [1]), offset: 5)
        roster.apply(instanceID: "pod-a", announcement: announcement("pod-a", [0]), offset: 4)
        #expect(roster.pods.first?.partitions["words"] == [1])
    }
}
