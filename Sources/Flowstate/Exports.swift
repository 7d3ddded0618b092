// Types of FlowstateKafka that appear in Flowstate's public API, re-exported so that
// `import Flowstate` is enough to write and test topologies.
@_exported @_documentation(visibility: internal) public import struct FlowstateKafka.KafkaHeader
@_exported @_documentation(visibility: internal) public import struct FlowstateKafka.KafkaConsumerRecord
@_exported @_documentation(visibility: internal) public import struct FlowstateKafka.KafkaTopicPartition
@_exported @_documentation(visibility: internal) public import struct FlowstateKafka.KafkaOffset
@_exported @_documentation(visibility: internal) public import class FlowstateKafka.EmbeddedCluster
@_exported @_documentation(visibility: internal) public import struct FlowstateKafka.KafkaError
