internal import CRdKafka

/// An owned `rd_kafka_topic_partition_list_t`, destroyed with its owner.
final class TopicPartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int = 1) {
        pointer = rd_kafka_topic_partition_list_new(Int32(clamping: max(1, capacity)))
    }

    convenience init(_ partitions: [KafkaTopicPartition]) {
        self.init(capacity: partitions.count)
        for partition in partitions { add(partition, offset: nil) }
    }

    convenience init(offsets: [KafkaTopicPartition: Int64]) {
        self.init(capacity: offsets.count)
        for (partition, offset) in offsets { add(partition, offset: offset) }
    }

    deinit { rd_kafka_topic_partition_list_destroy(pointer) }

    func add(_ partition: KafkaTopicPartition, offset: Int64?) {
        let element = rd_kafka_topic_partition_list_add(pointer, partition.topic, partition.partition)
        if let offset, let element { element.pointee.offset = offset }
    }

    /// Each element with its offset (librdkafka's logical offsets, e.g. -1001 "invalid", included).
    var elements: [(partition: KafkaTopicPartition, offset: Int64, error: rd_kafka_resp_err_t)] {
        Self.read(pointer)
    }

    static func read(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?)
        -> [(partition: KafkaTopicPartition, offset: Int64, error: rd_kafka_resp_err_t)]
    {
        guard let list, let elems = list.pointee.elems else { return [] }
        return (0..<Int(list.pointee.cnt)).map { index in
            let element = elems[index]
            let topic = element.topic.map { String(cString: $0) } ?? ""
            return (KafkaTopicPartition(topic: topic, partition: element.partition), element.offset, element.err)
        }
    }
}
