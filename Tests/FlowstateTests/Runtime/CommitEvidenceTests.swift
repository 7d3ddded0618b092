@testable import Flowstate
import FlowstateKafka
import Testing

@Suite struct CommitEvidenceTests {
    let sources = [KafkaTopicPartition(topic: "a", partition: 1), KafkaTopicPartition(topic: "b", partition: 1)]

    @Test func metadataRoundTripsTheChangelogEnds() {
        let evidence = CommitEvidence(changelogEnds: ["app-counts-changelog": 42, "app-timers-changelog": 0])
        #expect(evidence.metadata == "flowstate-changelogs:v1 app-counts-changelog=42 app-timers-changelog=0")
        #expect(CommitEvidence(metadata: evidence.metadata) == evidence)
    }

    @Test func metadataOfAnythingElseIsNoEvidence() {
        #expect(CommitEvidence(metadata: nil) == nil)
        #expect(CommitEvidence(metadata: "") == nil)
        #expect(CommitEvidence(metadata: "partition-time=17") == nil)
        #expect(CommitEvidence(metadata: "flowstate-changelogs:v1 topic=x") == nil)
        #expect(CommitEvidence(metadata: "flowstate-changelogs:v1 =3") == nil)
    }

    @Test func nothingCommittedConfirmsNoChangelogRecord() {
        let finding = CommitEvidence.find(in: [sources[0]: KafkaCommittedOffset(.invalid)], sources: sources)
        #expect(finding == .nothingCommitted)
        #expect(CommitEvidence.confirmedEnd(of: "t", in: finding) == 0)
    }

    @Test func offsetsWithoutEvidenceFallBackToSourceOffsets() {
        let committed = [sources[0]: KafkaCommittedOffset(KafkaOffset(5), metadata: CommitEvidence(changelogEnds: ["t": 9]).metadata),
                         sources[1]: KafkaCommittedOffset(KafkaOffset(7))]
        let finding = CommitEvidence.find(in: committed, sources: sources)
        #expect(finding == .noEvidence)
        #expect(CommitEvidence.confirmedEnd(of: "t", in: finding) == nil)
    }

    @Test func theLowestEndOverTheSourcePartitionsIsConfirmed() {
        let committed = [sources[0]: KafkaCommittedOffset(KafkaOffset(5), metadata: CommitEvidence(changelogEnds: ["t": 9, "u": 4]).metadata),
                         sources[1]: KafkaCommittedOffset(KafkaOffset(7), metadata: CommitEvidence(changelogEnds: ["t": 6]).metadata)]
        let finding = CommitEvidence.find(in: committed, sources: sources)
        #expect(CommitEvidence.confirmedEnd(of: "t", in: finding) == 6)
        #expect(CommitEvidence.confirmedEnd(of: "u", in: finding) == 0, "a topic one partition's evidence lacks is not confirmed")
        #expect(CommitEvidence.confirmedEnd(of: "never-written", in: finding) == 0)
    }

    @Test func theMockClusterIsDetectedAsUnfiltered() {
        #expect(FlowstateConfig.BrokerTransactions.detected(clusterID: "mockCluster1f2e3d") == .unfiltered)
        #expect(FlowstateConfig.BrokerTransactions.detected(clusterID: "lkc-abc123") == .markers)
        #expect(FlowstateConfig.BrokerTransactions.detected(clusterID: nil) == .markers)
    }
}
